import { PosixStorage } from './posix.protocol.js';
import { S3Storage } from './s3.protocol.js';
import { createStorage } from './create-storage.js';
import { StorageMisconfigured, UnsupportedStorageOperation } from './storage.errors.js';
import { WebDavStorage } from './webdav.protocol.js';
import { XrootdStorage } from './xrootd.protocol.js';

describe('createStorage', () => {
  const closing: { close(): Promise<void> }[] = [];
  const make = (...args: Parameters<typeof createStorage>) => {
    const storage = createStorage(...args);
    closing.push(storage);
    return storage;
  };
  afterAll(async () => {
    await Promise.all(closing.map((s) => s.close()));
  });

  test.each(['file', 'posix'])('%s: a directory', (scheme) => {
    const storage = make({ scheme, hostname: 'localhost', port: 0, prefix: '/data/rse1' });
    expect(storage).toBeInstanceOf(PosixStorage);
    expect(storage.endpoint).toBe('file://localhost/data/rse1/');
  });

  test('posix roots are absolute: a relative protocol prefix is taken from /, as Rucio normalises it', () => {
    expect(make({ scheme: 'file', hostname: '', prefix: 'relative' }).endpoint).toBe('file:///relative/');
    expect(() => new PosixStorage({ root: 'relative/dir' })).toThrow(StorageMisconfigured);
  });

  test('s3: bucket from the prefix, the rest as key prefix; https unless told otherwise', () => {
    const storage = make(
      { scheme: 's3', hostname: 's3.example.org', port: 443, prefix: '/experiment/raw/', extendedAttributes: { access_key_id: 'AK', secret_access_key: 'SK' } },
      { rse: 'SITE_S3' },
    ) as S3Storage;
    expect(storage).toBeInstanceOf(S3Storage);
    expect(storage.endpointUrl).toBe('https://s3.example.org:443');
    expect(storage.bucket).toBe('experiment');
    expect(storage.keyPrefix).toBe('raw/');
    expect(storage.accessKeyId).toBe('AK');
    expect(storage.endpoint).toBe('https://s3.example.org:443/experiment/raw/');

    const plain = make({ scheme: 's3', hostname: 'minio', port: 9000, prefix: '/b', extendedAttributes: { tls: 'false' } }) as S3Storage;
    expect(plain.endpointUrl).toBe('http://minio:9000');
    expect(plain.keyPrefix).toBe('');
    expect((make({ scheme: 's3+http', hostname: 'h', port: 1, prefix: '/b' }) as S3Storage).endpointUrl).toBe('http://h:1');
  });

  test('s3: the bucket attribute keeps the whole prefix as key prefix; credentials per RSE, then global', () => {
    const env = { TARN_S3_SITE_A_ACCESS_KEY_ID: 'per-rse', TARN_S3_ACCESS_KEY_ID: 'global', TARN_S3_SECRET_ACCESS_KEY: 'secret' };
    const storage = make(
      { scheme: 's3+https', hostname: 'h', port: 443, prefix: '/a/b/', extendedAttributes: { bucket: 'data' } },
      { rse: 'SITE-A', env },
    ) as S3Storage;
    expect(storage.bucket).toBe('data');
    expect(storage.keyPrefix).toBe('a/b/');
    expect(storage.accessKeyId).toBe('per-rse');
    expect((make({ scheme: 's3+https', hostname: 'h', port: 443, prefix: '/x/' }, { rse: 'OTHER', env }) as S3Storage).accessKeyId).toBe('global');
  });

  test('s3 without a bucket is misconfigured', () => {
    expect(() => make({ scheme: 's3', hostname: 'h', port: 443, prefix: '/' }, { rse: 'NOBUCKET' })).toThrow(StorageMisconfigured);
  });

  test.each([
    ['davs', 'https://dav.example.org:2880/pnfs/data/'],
    ['https', 'https://dav.example.org:2880/pnfs/data/'],
    ['dav', 'http://dav.example.org:2880/pnfs/data/'],
    ['http', 'http://dav.example.org:2880/pnfs/data/'],
  ])('%s: WebDAV at %s', (scheme, url) => {
    const storage = make({ scheme, hostname: 'dav.example.org', port: 2880, prefix: '/pnfs/data' });
    expect(storage).toBeInstanceOf(WebDavStorage);
    expect(storage.endpoint).toBe(url);
  });

  test.each([
    ['root', 'root://eos.example.org:1094//eos/experiment/tarn/'],
    ['roots', 'roots://eos.example.org:1094//eos/experiment/tarn/'],
  ])('%s: XRootD at %s', (scheme, url) => {
    const storage = make({ scheme, hostname: 'eos.example.org', port: 1094, prefix: 'eos/experiment/tarn' }, { rse: 'EOS' });
    expect(storage).toBeInstanceOf(XrootdStorage);
    expect(storage.endpoint).toBe(url);
    expect(make({ scheme, hostname: 'h', port: 0, prefix: '/' }).endpoint).toBe(`${scheme}://h//`);
  });

  test("xrootd: a prefix with '?' is misconfigured (XRootD would take the rest as opaque parameters)", () => {
    expect(() => make({ scheme: 'root', hostname: 'h', port: 1094, prefix: '/a?b/' }, { rse: 'XRD' })).toThrow(StorageMisconfigured);
  });

  test('an unknown scheme names the supported ones', () => {
    expect(() => make({ scheme: 'gsiftp', hostname: 'h', port: 2811, prefix: '/x' }, { rse: 'FTP' })).toThrow(UnsupportedStorageOperation);
    expect(() => make({ scheme: 'gsiftp', hostname: 'h', port: 2811, prefix: '/x' })).toThrow(/file, posix, s3, s3\+https.*root, roots/);
  });
});
