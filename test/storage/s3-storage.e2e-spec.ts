/** What only S3 storage has: server-side copy, signatures and their expiry, credentials, buckets. */
import { jest } from '@jest/globals';
import { S3Client } from '@aws-sdk/client-s3';
import axios from 'axios';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  NotFoundOnStorage,
  S3Storage,
  StorageMisconfigured,
  StoragePermissionDenied,
  createStorage,
} from '@tarn/storage';
import { createTestBucket, createTestDirectory, readStream, testS3Server } from '@tarn/testing/storage.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const MIB = 1024 * 1024;

describe('s3 storage', () => {
  let first: Awaited<ReturnType<typeof createTestBucket>>;
  let second: Awaited<ReturnType<typeof createTestBucket>>;
  let storage: S3Storage;
  let other: S3Storage;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestBucket(), createTestBucket()]);
    storage = createStorage(first.protocol, { rse: 'S3_ONE' }) as S3Storage;
    other = createStorage(second.protocol, { rse: 'S3_TWO' }) as S3Storage;
  });

  afterAll(async () => {
    await storage?.close();
    await other?.close();
    await Promise.all([first?.drop(), second?.drop()]);
  });

  test('the protocol prefix names the bucket and a key prefix inside it', () => {
    expect(storage).toBeInstanceOf(S3Storage);
    expect(storage.bucket).toBe(first.bucket);
    expect(storage.keyPrefix).toBe('data/');
    expect(storage.key('a/b.txt')).toBe('data/a/b.txt');
    expect(storage.endpoint).toBe(`${testS3Server().endpointUrl}/${first.bucket}/data/`);
  });

  test('copies server-side between buckets of the same endpoint', async () => {
    const data = randomBytes(300_000);
    await storage.write('copy/source.bin', Readable.from([data]));
    const send = jest.spyOn(S3Client.prototype, 'send');
    try {
      expect(await other.copyFrom(storage, 'copy/source.bin', 'copied/target.bin')).toEqual({
        result: { bytes: data.length },
        how: expect.stringContaining('S3 server-side copy'),
        verified: false,
      });
      const names = send.mock.calls.map(([command]) => (command as object).constructor.name);
      expect(names).toContain('CopyObjectCommand');
      expect(names).not.toContain('GetObjectCommand'); // no byte went through this process
    } finally {
      send.mockRestore();
    }
    expect(md5(await readStream(await other.read('copied/target.bin')))).toBe(md5(data));
    expect((await storage.stat('copy/source.bin')).bytes).toBe(data.length);
  });

  test('copies large objects server-side in parts (UploadPartCopy)', async () => {
    const data = randomBytes(12 * MIB + 3);
    await storage.write('copy/large.bin', Readable.from([data]));
    const parted = createStorage(second.protocol, {
      rse: 'S3_TWO',
      tuning: { s3: { multipartCopyThreshold: 6 * MIB, copyPartSize: 5 * MIB } },
    }) as S3Storage;
    const send = jest.spyOn(S3Client.prototype, 'send');
    try {
      expect(await parted.copyFrom(storage, 'copy/large.bin', 'copied/large.bin')).toMatchObject({ result: { bytes: data.length } });
      const names = send.mock.calls.map(([command]) => (command as object).constructor.name);
      expect(names.filter((n) => n === 'UploadPartCopyCommand')).toHaveLength(3);
      expect(names).toContain('CompleteMultipartUploadCommand');
    } finally {
      send.mockRestore();
      await parted.close();
    }
    expect(md5(await readStream(await other.read('copied/large.bin')))).toBe(md5(data));
  });

  test('no server-side copy from another kind of storage or another identity: refused with why, stream instead', async () => {
    const directory = await createTestDirectory();
    const posix = createStorage(directory.protocol);
    const stranger = createStorage({
      ...first.protocol,
      extendedAttributes: { ...first.protocol.extendedAttributes, access_key_id: 'someone-else' },
    });
    try {
      await posix.write('x.txt', Readable.from([Buffer.from('x')]));
      expect(await storage.copyFrom(posix, 'x.txt', 'from-posix.txt')).toEqual({ refused: expect.stringMatching(/not S3/) });
      expect(await storage.copyFrom(stranger, 'x.txt', 'from-stranger.txt')).toEqual({ refused: expect.stringMatching(/one endpoint and identity/) });
      expect(await storage.exists('from-posix.txt')).toBe(false);
    } finally {
      await posix.close();
      await stranger.close();
      await directory.drop();
    }
  });

  test('copying a missing object is NotFoundOnStorage naming the source', async () => {
    const error = await other.copyFrom(storage, 'copy/missing.bin', 'copied/missing.bin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundOnStorage);
    expect((error as Error).message).toContain("'copy/missing.bin'");
    expect((error as Error).message).toContain('S3_ONE');
  });

  test('presigned URLs expire', async () => {
    await storage.write('expiring.txt', Readable.from([Buffer.from('soon gone')]));
    // X-Amz-Date has whole seconds, so a URL signed late in a second has up to one second less than it says:
    // 3 s leaves a loaded machine time for the first GET.
    const url = await storage.presign('expiring.txt', 'GET', 3);
    expect((await axios.get(url)).data).toBe('soon gone');
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await axios.get(url, { validateStatus: () => true })).status).toBe(403);
  });

  test('a wrong secret key or an unknown access key is StoragePermissionDenied naming the key', async () => {
    for (const [attributes, words] of [
      [{ secret_access_key: 'wrong' }, 'tarn-test'],
      [{ access_key_id: 'nobody', secret_access_key: 'wrong' }, "'nobody'"],
    ] as const) {
      const bad = createStorage({ ...first.protocol, extendedAttributes: { ...first.protocol.extendedAttributes, ...attributes } }, { rse: 'S3_BAD' });
      try {
        for (const attempt of [() => bad.stat('any.txt'), () => bad.write('any.txt', Readable.from([Buffer.from('x')]))]) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoragePermissionDenied);
          expect((error as Error).message).toContain(words);
          expect((error as Error).message).toContain('S3_BAD');
        }
      } finally {
        await bad.close();
      }
    }
  });

  test('a small write of known size is one signed PUT past the SDK; a refused one is named as before', async () => {
    const send = jest.spyOn((storage as unknown as { client: S3Client }).client, 'send');
    try {
      const names = [`direct/plain.dat`, `direct/a b+c=d&e;f,g@h$i.dat`, `direct/!'()*~é ü/x%2Fy.dat`];
      const bodies = names.map(() => randomBytes(4096));
      await Promise.all(names.map((name, i) => storage.write(name, Readable.from([bodies[i]]), { bytes: bodies[i].length })));
      expect(send).not.toHaveBeenCalled();
      for (const [i, name] of names.entries()) expect(md5(await readStream(await storage.read(name)))).toBe(md5(bodies[i]));
      const listed: string[] = [];
      for await (const entry of storage.list('direct/')) listed.push(entry.path);
      expect(listed.sort()).toEqual([...names].sort());
    } finally {
      send.mockRestore();
    }

    const wrong = createStorage(
      { ...first.protocol, extendedAttributes: { ...first.protocol.extendedAttributes, secret_access_key: 'wrong' } },
      { rse: 'S3_BAD' },
    );
    const missing = createStorage({ ...first.protocol, prefix: '/tarn-no-such-bucket/data/' }, { rse: 'S3_NOBUCKET' });
    try {
      const denied = await wrong.write('small.txt', Readable.from([Buffer.from('x')]), { bytes: 1 }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(StoragePermissionDenied);
      expect((denied as Error).message).toContain('tarn-test');
      const nowhere = await missing.write('small.txt', Readable.from([Buffer.from('x')]), { bytes: 1 }).catch((e: unknown) => e);
      expect(nowhere).toBeInstanceOf(StorageMisconfigured);
      expect((nowhere as Error).message).toContain("'tarn-no-such-bucket' does not exist");
    } finally {
      await wrong.close();
      await missing.close();
    }
  });

  test('a bucket that does not exist is StorageMisconfigured naming it', async () => {
    const missing = createStorage({ ...first.protocol, prefix: '/tarn-no-such-bucket/data/' }, { rse: 'S3_NOBUCKET' });
    try {
      const error = await missing.write('a.txt', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageMisconfigured);
      expect((error as Error).message).toContain("'tarn-no-such-bucket' does not exist");
    } finally {
      await missing.close();
    }
  });
});
