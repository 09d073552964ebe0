/**
 * One contract for every StorageProtocol, run against real storage: a local directory (posix), the S3 server
 * of scripts/services/s3.sh, the WebDAV server of scripts/services/webdav.sh and the XRootD server of
 * scripts/services/xrootd.sh, all on 127.0.0.1.
 * A server that does not answer fails these tests (test/services/storage.cjs starts them); nothing is skipped.
 */
import { jest } from '@jest/globals';
import { ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import axios from 'axios';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  ChecksumMismatch,
  InvalidStoragePath,
  NotFoundOnStorage,
  StorageProtocol,
  StorageUnavailable,
  createStorage,
  isStorageError,
} from '@tarn/storage';
import {
  TestStorageArea,
  createTestBucket,
  createTestCollection,
  createTestDirectory,
  createTestXrootdArea,
  adler32Of,
  readStream,
  testWebDavServer,
  xrdcpPut,
} from '@tarn/testing/storage.js';
import { closedPort } from '@tarn/testing/host.js';

type Kind = 'posix' | 's3' | 'webdav' | 'xrootd';
const KINDS: Kind[] = ['posix', 's3', 'webdav', 'xrootd'];
type XrootdArea = Awaited<ReturnType<typeof createTestXrootdArea>>;
const MIB = 1024 * 1024;

async function makeArea(kind: Kind): Promise<TestStorageArea> {
  if (kind === 'posix') return createTestDirectory();
  if (kind === 's3') return createTestBucket();
  if (kind === 'xrootd') return createTestXrootdArea();
  return createTestCollection();
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A source that yields `data` in chunks of `chunk` bytes, as a network stream would. */
function source(data: Buffer, chunk = 256 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts);
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
describe.each(KINDS)('%s storage contract', (kind) => {
  let area: TestStorageArea;
  let storage: StorageProtocol;

  beforeAll(async () => {
    area = await makeArea(kind);
    storage = createStorage(area.protocol, { rse: `TEST_${kind.toUpperCase()}` });
  });

  afterAll(async () => {
    await storage?.close();
    await area?.drop();
  });

  test('writes and reads back byte for byte: small, one byte, empty', async () => {
    for (const [path, data] of [
      ['round/small.bin', randomBytes(4096)],
      ['round/one.bin', Buffer.from([0])],
      ['round/empty.bin', Buffer.alloc(0)],
    ] as const) {
      const written = await storage.write(path, source(data), { bytes: data.length });
      expect(written.bytes).toBe(data.length);
      expect((await readStream(await storage.read(path))).equals(data)).toBe(true);
      const stat = await storage.stat(path);
      expect(stat.bytes).toBe(data.length);
      expect(stat.mtime).toBeInstanceOf(Date);
      expect(Math.abs(stat.mtime.getTime() - Date.now())).toBeLessThan(10 * 60_000);
      if (stat.checksums?.md5) expect(stat.checksums.md5).toBe(md5(data));
      expect(await storage.exists(path)).toBe(true);
    }
  });

  test('a 20 MB file round-trips, with its checksums computed on the way (multipart on S3)', async () => {
    const data = randomBytes(20 * MIB);
    const send = kind === 's3' ? jest.spyOn(S3Client.prototype, 'send') : undefined;
    try {
      const written = await storage.write('big/twenty.bin', source(data, MIB), { algorithms: ['adler32', 'md5'] });
      expect(written).toEqual({ bytes: data.length, adler32: await adler32Of(data), md5: md5(data) });
      if (send) {
        const names = send.mock.calls.map(([command]) => (command as object).constructor.name);
        expect(names).toContain('CreateMultipartUploadCommand');
        expect(names.filter((n) => n === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
        expect(names).toContain('CompleteMultipartUploadCommand');
      }
    } finally {
      send?.mockRestore();
    }
    const back = await readStream(await storage.read('big/twenty.bin'));
    expect(back.length).toBe(data.length);
    expect(md5(back)).toBe(md5(data));
    const stat = await storage.stat('big/twenty.bin');
    expect(stat.bytes).toBe(data.length);
    // A multipart ETag is no MD5: either no md5 is reported, or it is the right one.
    if (stat.checksums?.md5) expect(stat.checksums.md5).toBe(md5(data));
  });

  test('reports the md5 of a single-part S3 upload from its ETag', async () => {
    const data = randomBytes(1000);
    await storage.write('etag/one-part.bin', source(data));
    const stat = await storage.stat('etag/one-part.bin');
    if (kind === 's3') expect(stat.checksums).toEqual({ md5: md5(data) });
    else expect(stat.checksums?.md5 ?? md5(data)).toBe(md5(data));
  });

  test('reads from an offset (resumed downloads)', async () => {
    const data = randomBytes(3 * MIB + 17);
    await storage.write('range/file.bin', source(data));
    for (const offset of [0, 1, 1234567, data.length - 1]) {
      const part = await readStream(await storage.read('range/file.bin', { offset }));
      expect(part.equals(data.subarray(offset))).toBe(true);
    }
    expect((await readStream(await storage.read('range/file.bin', { offset: data.length }))).length).toBe(0);
    expect((await readStream(await storage.read('range/file.bin', { offset: data.length + 10 }))).length).toBe(0);
  });

  test('a write replaces the file already at the path', async () => {
    await storage.write('over/file.txt', source(Buffer.from('the first version, longer')));
    await storage.write('over/file.txt', source(Buffer.from('second')));
    expect((await readStream(await storage.read('over/file.txt'))).toString()).toBe('second');
    expect((await storage.stat('over/file.txt')).bytes).toBe(6);
    expect((await collect(storage.list('over'))).map((e) => e.path)).toEqual(['over/file.txt']);
  });

  test('delete is idempotent and says whether the file existed', async () => {
    await storage.write('del/file.txt', source(Buffer.from('x')));
    expect(await storage.delete('del/file.txt')).toEqual({ existed: true });
    expect(await storage.exists('del/file.txt')).toBe(false);
    expect(await storage.delete('del/file.txt')).toEqual({ existed: false });
    expect(await storage.delete('del/never/was/here.txt')).toEqual({ existed: false });
  });

  test('lists files under a prefix recursively: files only, never . or .., nothing outside the prefix', async () => {
    const files = ['tree/a.txt', 'tree/sub/b.txt', 'tree/sub/deeper/c.txt', 'tree/sub/deeper/d d.txt', 'treetop/x.txt'];
    for (const [i, path] of files.entries()) await storage.write(path, source(Buffer.alloc(i + 1, 1)));

    const listed = await collect(storage.list('tree'));
    expect(listed.map((e) => e.path).sort()).toEqual(files.slice(0, 4).sort());
    for (const entry of listed) {
      expect(entry.bytes).toBe(files.indexOf(entry.path) + 1);
      expect(entry.mtime).toBeInstanceOf(Date);
      for (const segment of entry.path.split('/')) expect(['.', '..', '']).not.toContain(segment);
    }
    expect((await collect(storage.list('tree/sub/'))).map((e) => e.path).sort()).toEqual(files.slice(1, 4).sort());
    expect(await collect(storage.list('tree/missing'))).toEqual([]);
    const everything = (await collect(storage.list(''))).map((e) => e.path);
    expect(everything).toEqual(expect.arrayContaining(files));
  });

  test('names with spaces and unicode, in nested directories created on the way', async () => {
    const path = 'ünï cödé/two words/x y/日本語 ファイル (1) #%&+;=.dat';
    const data = randomBytes(2048);
    await storage.write(path, source(data));
    expect((await readStream(await storage.read(path))).equals(data)).toBe(true);
    expect((await storage.stat(path)).bytes).toBe(2048);
    expect((await collect(storage.list('ünï cödé'))).map((e) => e.path)).toEqual([path]);
    expect(await storage.delete(path)).toEqual({ existed: true });
  });

  test('a write interrupted half-way leaves nothing at the final path (and no temporary file behind)', async () => {
    const path = 'interrupted/file.bin';
    const sizes = kind === 's3' ? [MIB, 20 * MIB] : [MIB]; // on S3: before the first part, and mid-multipart
    for (const size of sizes) {
      const input = new PassThrough();
      const writing = storage.write(path, input, { bytes: size * 2 });
      input.write(randomBytes(size));
      await new Promise((resolve) => setTimeout(resolve, 300));
      input.destroy(new Error('the network went away'));
      const error = await writing.then(() => undefined, (e: unknown) => e);
      expect(isStorageError(error)).toBe(true);
      expect(String((error as Error).message)).toContain('the network went away');
      expect(String((error as Error).message)).toContain(path);
      expect(await storage.exists(path)).toBe(false);
      expect(await collect(storage.list('interrupted'))).toEqual([]);
    }
    await expectNoTemporaryFiles(kind, area, 'interrupted');
  });

  test('a temporary file a killed writer left behind is listed only when asked, flagged, and can be deleted', async () => {
    await storage.write('leftover/done.txt', source(Buffer.from('done')));
    const temporary = 'leftover/.tarn-part.00000000deadbeef';
    await putRaw(kind, area, temporary, Buffer.from('partial'));
    expect((await collect(storage.list('leftover'))).map((e) => e.path)).toEqual(['leftover/done.txt']);
    const all = await collect(storage.list('leftover', { temporary: true }));
    expect(all.map((e) => [e.path, e.temporary ?? false, e.bytes]).sort()).toEqual([
      ['leftover/.tarn-part.00000000deadbeef', true, 7],
      ['leftover/done.txt', false, 4],
    ]);
    expect(await storage.delete(temporary)).toEqual({ existed: true });
    expect((await collect(storage.list('leftover', { temporary: true }))).map((e) => e.path)).toEqual(['leftover/done.txt']);
  });

  test('a write whose bytes do not match the expected size or checksum is not committed', async () => {
    const data = randomBytes(100_000);
    const wrongAdler = await storage.write('verify/bad.bin', source(data), { checksums: { adler32: '00000001' } }).catch((e: unknown) => e);
    expect(wrongAdler).toBeInstanceOf(ChecksumMismatch);
    expect((wrongAdler as Error).message).toMatch(/adler32 [0-9a-f]{8} \(expected 00000001\)/);
    const wrongSize = await storage.write('verify/bad.bin', source(data), { bytes: data.length + 1 }).catch((e: unknown) => e);
    expect(wrongSize).toBeInstanceOf(ChecksumMismatch);
    const tooLong = await storage.write('verify/bad.bin', source(data), { bytes: 10 }).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(ChecksumMismatch);
    expect(await storage.exists('verify/bad.bin')).toBe(false);
    await expectNoTemporaryFiles(kind, area, 'verify');

    const good = await storage.write('verify/good.bin', source(data), {
      bytes: data.length,
      checksums: { adler32: await adler32Of(data), md5: md5(data) },
    });
    expect(good).toEqual({ bytes: data.length, adler32: await adler32Of(data), md5: md5(data) });
  });

  test('a missing file is NotFoundOnStorage naming the path and the endpoint', async () => {
    for (const attempt of [() => storage.stat('missing/file.txt'), () => storage.read('missing/file.txt')]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundOnStorage);
      expect((error as NotFoundOnStorage).message).toContain("'missing/file.txt'");
      expect((error as NotFoundOnStorage).message).toContain(storage.endpoint);
      expect((error as NotFoundOnStorage).message).toContain(`TEST_${kind.toUpperCase()}`);
      expect((error as NotFoundOnStorage).storage.path).toBe('missing/file.txt');
    }
    expect(await storage.exists('missing/file.txt')).toBe(false);
  });

  test('a directory is not a file: not found, and never deleted with its content', async () => {
    await storage.write('dir/inside/file.txt', source(Buffer.from('x')));
    expect(await storage.exists('dir/inside')).toBe(false);
    await expect(storage.stat('dir/inside')).rejects.toBeInstanceOf(NotFoundOnStorage);
    const deleted = await storage.delete('dir/inside').catch((e: unknown) => e);
    if (kind === 's3') expect(deleted).toEqual({ existed: false }); // a key prefix, no object
    else expect((deleted as Error).message).toMatch(/refusing to delete it/);
    expect(await storage.exists('dir/inside/file.txt')).toBe(true);
  });

  test('paths that would leave the prefix, or are not clean, are refused before any request', async () => {
    for (const bad of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', 'a//b', 'a/./b', 'nul\0byte', '']) {
      for (const attempt of [
        () => storage.stat(bad),
        () => storage.read(bad),
        () => storage.write(bad, source(Buffer.from('x'))),
        () => storage.delete(bad),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStoragePath);
      }
    }
    await expect(collect(storage.list('../'))).rejects.toBeInstanceOf(InvalidStoragePath);
  });

  test('presigned URLs: S3 only, usable by a plain HTTP client', async () => {
    if (kind !== 's3') {
      expect(storage.presign).toBeUndefined();
      return;
    }
    const presign = storage.presign!.bind(storage);
    const data = randomBytes(5000);
    const put = await presign('presigned/up load.bin', 'PUT', 300);
    expect((await axios.put(put, data, { headers: { 'Content-Type': 'application/octet-stream' } })).status).toBe(200);
    expect((await readStream(await storage.read('presigned/up load.bin'))).equals(data)).toBe(true);

    const get = await presign('presigned/up load.bin', 'GET', 300);
    const response = await axios.get(get, { responseType: 'arraybuffer' });
    expect(Buffer.from(response.data).equals(data)).toBe(true);

    // The server checks the signature: a URL signed for one key does not open another.
    const other = get.replace('up%20load.bin', 'other.bin');
    expect((await axios.get(other, { validateStatus: () => true })).status).toBe(403);
    await expect(presign('presigned/x', 'GET', 8 * 24 * 3600)).rejects.toThrow(/7 days/);
  });

  test('space usage where the storage reports it', async () => {
    if (!storage.space) {
      expect(kind).toBe('s3');
      return;
    }
    const space = await storage.space();
    if (kind === 'posix' || kind === 'xrootd') {
      expect(space.total).toBeGreaterThan(0);
      expect(space.free).toBeGreaterThanOrEqual(0);
      expect(space.used).toBeGreaterThan(0);
    } else {
      // rclone serves no RFC 4331 quota properties: nothing is made up.
      for (const value of Object.values(space)) expect(typeof value).toBe('number');
    }
  });
});

/** Puts a file on the storage behind Tarn's back (as a writer killed before its rename would have left it). */
async function putRaw(kind: Kind, area: TestStorageArea, path: string, data: Buffer): Promise<void> {
  if (kind === 'posix') {
    const file = `${(area as unknown as { root: string }).root}/${path}`;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, data);
  } else if (kind === 'xrootd') {
    xrdcpPut((area as XrootdArea).server.url, `/${(area as XrootdArea).directory}/${path}`, data);
  } else if (kind === 'webdav') {
    const server = testWebDavServer();
    const response = await axios.put(`${(area as unknown as { url: string }).url}${path}`, data, {
      auth: { username: server.username, password: server.password },
      validateStatus: () => true,
    });
    expect(response.status).toBeLessThan(300);
  } else {
    const { client, bucket } = area as unknown as { client: S3Client; bucket: string };
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `data/${path}`, Body: data }));
  }
}

async function expectNoTemporaryFiles(kind: Kind, area: TestStorageArea, directory: string): Promise<void> {
  if (kind === 'xrootd') {
    const names = await readdir(join((area as XrootdArea).server.files, (area as XrootdArea).directory, directory)).catch(() => [] as string[]);
    expect(names.filter((n) => n.startsWith('.tarn-part.'))).toEqual([]);
  } else if (kind === 'posix') {
    const root = (area as unknown as { root: string }).root;
    const names = await readdir(`${root}/${directory}`).catch(() => [] as string[]);
    expect(names.filter((n) => n.startsWith('.tarn-part.'))).toEqual([]);
  } else if (kind === 'webdav') {
    const server = testWebDavServer();
    const response = await axios.request({
      method: 'PROPFIND',
      url: `${(area as unknown as { url: string }).url}${directory}/`,
      headers: { Depth: '1' },
      auth: { username: server.username, password: server.password },
      validateStatus: () => true,
      responseType: 'text',
    });
    expect(String(response.data)).not.toContain('.tarn-part.');
  } else {
    const { client, bucket } = area as unknown as { client: S3Client; bucket: string };
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
  }
}

describe('storage errors when the storage is not there', () => {
  test('s3: a server that does not answer is StorageUnavailable naming the endpoint', async () => {
    const port = await closedPort();
    const storage = createStorage(
      { scheme: 's3+http', hostname: '127.0.0.1', port, prefix: '/bucket/data/', extendedAttributes: { access_key_id: 'k', secret_access_key: 's' } },
      { rse: 'DOWN_S3', tuning: { s3: { maxAttempts: 1 } } },
    );
    try {
      for (const attempt of [() => storage.stat('a.txt'), () => storage.read('a.txt'), () => storage.write('a.txt', source(Buffer.from('x')))]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageUnavailable);
        expect((error as Error).message).toContain(`http://127.0.0.1:${port}/bucket/data/`);
        expect((error as Error).message).toContain('ECONNREFUSED');
        expect((error as StorageUnavailable).transient).toBe(true);
      }
    } finally {
      await storage.close();
    }
  });

  test('webdav: a server that does not answer is StorageUnavailable naming the endpoint', async () => {
    const port = await closedPort();
    const storage = createStorage({ scheme: 'dav', hostname: '127.0.0.1', port, prefix: '/data/' }, { rse: 'DOWN_DAV' });
    try {
      for (const attempt of [() => storage.stat('a.txt'), () => storage.read('a.txt'), () => storage.write('a.txt', source(Buffer.from('x'))), () => collect(storage.list(''))]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageUnavailable);
        expect((error as Error).message).toContain(`http://127.0.0.1:${port}/data/`);
        expect((error as Error).message).toContain('ECONNREFUSED');
      }
    } finally {
      await storage.close();
    }
  });

  test('xrootd: a server that does not answer is StorageUnavailable naming the endpoint, and says it is transient', async () => {
    const port = await closedPort();
    const storage = createStorage({ scheme: 'root', hostname: '127.0.0.1', port, prefix: '/data/' }, { rse: 'DOWN_XRD' });
    try {
      for (const attempt of [() => storage.stat('a.txt'), () => storage.read('a.txt'), () => storage.write('a.txt', source(Buffer.from('x'))), () => collect(storage.list(''))]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageUnavailable);
        expect((error as Error).message).toContain(`root://127.0.0.1:${port}//data/`);
        expect((error as Error).message).toContain('DOWN_XRD');
        expect((error as StorageUnavailable).transient).toBe(true);
      }
    } finally {
      await storage.close();
    }
  });

  test('posix: a prefix directory that does not exist (not mounted) is StorageUnavailable, and is not created', async () => {
    const area = await createTestDirectory();
    const missing = `${area.root}/not-mounted`;
    const storage = createStorage({ scheme: 'file', hostname: 'localhost', prefix: missing }, { rse: 'DOWN_POSIX' });
    try {
      const error = await storage.write('a.txt', source(Buffer.from('x'))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailable);
      expect((error as Error).message).toContain(missing);
      expect(await readdir(area.root)).toEqual([]);
    } finally {
      await area.drop();
    }
  });
});
