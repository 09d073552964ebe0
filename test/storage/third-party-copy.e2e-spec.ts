/**
 * Copies storage makes by itself, no byte through Tarn: XRootD third-party copy between the two servers of
 * scripts/services/xrootd.sh, and HTTP-TPC COPY between their HTTP doors; verified before the file shows.
 */
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ChecksumMismatch, NotFoundOnStorage, StorageOperationFailed, createStorage, type StorageProtocol, type XrootdStorage } from '@tarn/storage';
import { adler32Of, createTestCollection, createTestXrootdArea, readXrootdLog } from '@tarn/testing/storage.js';
import { bytesRead } from '@tarn/testing/host.js';

type Area = Awaited<ReturnType<typeof createTestXrootdArea>>;

async function leftovers(area: Area, directory: string): Promise<string[]> {
  return (await readdir(join(area.server.files, area.directory, directory)).catch(() => [] as string[])).filter((n) => n.startsWith('.tarn-part.'));
}

describe('third-party copies', () => {
  let a: Area;
  let b: Area;
  const opened: StorageProtocol[] = [];
  const open = (...args: Parameters<typeof createStorage>) => {
    const storage = createStorage(...args);
    opened.push(storage);
    return storage;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestXrootdArea('a'), createTestXrootdArea('b')]);
  });

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await Promise.all([a?.drop(), b?.drop()]);
  });

  test('root:// to root://: the destination server pulls; this host reads none of the bytes', async () => {
    const source = open(a.protocol, { rse: 'XRD_A' }) as XrootdStorage;
    const destination = open(b.protocol, { rse: 'XRD_B' }) as XrootdStorage;
    const data = randomBytes(24 * 1024 * 1024);
    await source.write('tpc/big.bin', Readable.from([data]));
    const sessionPid = destination.sessionInfo.pid!;
    const [before, sessionBefore] = [await bytesRead('self'), await bytesRead(sessionPid)];
    const copied = await destination.copyFrom(source, 'tpc/big.bin', 'copied/big.bin', { bytes: data.length, checksums: { adler32: await adler32Of(data) } });
    const [after, sessionAfter] = [await bytesRead('self'), await bytesRead(sessionPid)];
    expect(copied).toEqual({
      result: { bytes: data.length, adler32: await adler32Of(data) },
      how: `XRootD third-party copy: ${b.server.url} pulled the file from ${a.server.url}`,
      verified: true,
    });
    expect((await readFile(join(b.server.files, b.directory, 'copied/big.bin'))).equals(data)).toBe(true);
    // The worker process and its XRootD session read a few KiB of answers, not the 24 MiB.
    expect(after - before).toBeLessThan(1024 * 1024);
    expect(sessionAfter - sessionBefore).toBeLessThan(1024 * 1024);
    // The source server saw the destination server (its own user) open the file, not this client.
    const log = await readXrootdLog(a.server);
    expect(log).toMatch(new RegExp(`tarn-xro[^ ]*@[^ ]+ ofs_open: [^\\n]*fn=/${a.directory}/tpc/big\\.bin`));
    expect(await leftovers(b, 'copied')).toEqual([]);
  });

  test('root:// third-party copy whose bytes do not match the catalogue keeps nothing; a missing source fails', async () => {
    const source = open(a.protocol, { rse: 'XRD_A' });
    const destination = open(b.protocol, { rse: 'XRD_B' });
    await source.write('tpc/small.bin', Readable.from([Buffer.from('not what the catalogue says')]));
    const wrong = await destination.copyFrom!(source, 'tpc/small.bin', 'copied/wrong.bin', { checksums: { adler32: '00000001' } }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ChecksumMismatch);
    expect(await destination.exists('copied/wrong.bin')).toBe(false);
    const missing = await destination.copyFrom!(source, 'tpc/missing.bin', 'copied/missing.bin', { checksums: { adler32: '00000001' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundOnStorage); // the source's: it names the source's RSE, endpoint and path
    expect((missing as NotFoundOnStorage).storage).toMatchObject({ rse: 'XRD_A', endpoint: source.endpoint, path: 'tpc/missing.bin' });
    expect(await leftovers(b, 'copied')).toEqual([]);
  });

  test('root:// -> root:// streamed by XrdCl through this host (as xrdcp): checked with the server adler32, a mismatch keeps nothing', async () => {
    const source = open(a.protocol, { rse: 'XRD_A' });
    const destination = open(b.protocol, { rse: 'XRD_B' }) as XrootdStorage;
    const data = randomBytes(5 * 1024 * 1024 + 1);
    await source.write('stream/file.bin', Readable.from([data]));
    expect(await destination.streamFrom(source, 'stream/file.bin', 'streamed/file.bin', { bytes: data.length, checksums: { adler32: await adler32Of(data) } })).toEqual({
      bytes: data.length,
      adler32: await adler32Of(data),
    });
    expect((await readFile(join(b.server.files, b.directory, 'streamed/file.bin'))).equals(data)).toBe(true);
    const wrong = await destination.streamFrom(source, 'stream/file.bin', 'streamed/wrong.bin', { checksums: { adler32: '00000001' } }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ChecksumMismatch);
    expect(await destination.exists('streamed/wrong.bin')).toBe(false);
    expect(await leftovers(b, 'streamed')).toEqual([]);
    expect(await destination.streamFrom(open(a.httpProtocol), 'stream/file.bin', 'x.bin', { checksums: { adler32: '00000001' } })).toBeUndefined();
  });

  test('root:// refuses what it cannot copy itself: another protocol, a file without adler32', async () => {
    const destination = open(b.protocol, { rse: 'XRD_B' });
    const dav = open(a.httpProtocol, { rse: 'XRD_A_DAV' });
    expect(await destination.copyFrom!(dav, 'x', 'y', { checksums: { adler32: '00000001' } })).toEqual({ refused: expect.stringMatching(/does not speak XRootD/) });
    expect(await destination.copyFrom!(open(a.protocol), 'x', 'y', { checksums: { md5: 'a'.repeat(32) } })).toEqual({ refused: expect.stringMatching(/no adler32/) });
  });

  test("root:// refuses a third-party copy of a source path with '&' (XRootD would wait for it until its authorization expires); streamed, it copies", async () => {
    const source = open(a.protocol, { rse: 'XRD_A' });
    const destination = open(b.protocol, { rse: 'XRD_B' }) as XrootdStorage;
    const data = Buffer.from('R&D frames');
    await source.write('amp/r&d.fits', Readable.from([data]));
    const adler32 = await adler32Of(data);
    const started = Date.now();
    expect(await destination.copyFrom(source, 'amp/r&d.fits', 'amp/r&d.fits', { bytes: data.length, checksums: { adler32 } })).toEqual({ refused: expect.stringMatching(/cannot name a source path with '&'/) });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await destination.streamFrom(source, 'amp/r&d.fits', 'amp/r&d.fits', { bytes: data.length, checksums: { adler32 } })).toEqual({ bytes: data.length, adler32 });
    expect((await readFile(join(b.server.files, b.directory, 'amp/r&d.fits'))).equals(data)).toBe(true);
  });

  test('HTTP-TPC: a COPY with a Source header to the destination WebDAV door, which pulls; then checked and moved into place', async () => {
    const source = open(a.httpProtocol, { rse: 'DAV_A' });
    const destination = open(b.httpProtocol, { rse: 'DAV_B' });
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await source.write('tpc/file.bin', Readable.from([data]));
    const before = await bytesRead('self');
    const copied = await destination.copyFrom!(source, 'tpc/file.bin', 'http/copied.bin', { bytes: data.length, checksums: { adler32: await adler32Of(data) } });
    expect(await bytesRead('self') - before).toBeLessThan(512 * 1024);
    expect(copied).toMatchObject({ result: { bytes: data.length, adler32: await adler32Of(data) }, how: expect.stringMatching(/^HTTP-TPC: http:\/\/127\.0\.0\.1:\d+ pulled/), verified: true });
    expect((await readFile(join(b.server.files, b.directory, 'http/copied.bin'))).equals(data)).toBe(true);
    expect(await leftovers(b, 'http')).toEqual([]);

    const failed = await destination.copyFrom!(source, 'tpc/missing.bin', 'http/missing.bin', { checksums: { adler32: '00000001' } }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StorageOperationFailed);
    expect((failed as Error).message).toMatch(/pull failed: failure: .*404/);
    expect(await leftovers(b, 'http')).toEqual([]);
  });

  test('HTTP-TPC is refused, with why, for a source read with a password and a server that does not take it', async () => {
    const rclone = await createTestCollection();
    try {
      const withPassword = open(rclone.protocol, { rse: 'DAV_RCLONE' });
      const xrdDestination = open(b.httpProtocol, { rse: 'DAV_B' });
      expect(await xrdDestination.copyFrom!(withPassword, 'x', 'y', { checksums: { adler32: '00000001' } })).toEqual({ refused: expect.stringMatching(/read with a password/) });

      const xrdSource = open(a.httpProtocol, { rse: 'DAV_A' });
      await xrdSource.write('tpc/for-rclone.bin', Readable.from([Buffer.from('x')]));
      const first = await withPassword.copyFrom!(xrdSource, 'tpc/for-rclone.bin', 'y.bin', { checksums: { adler32: '00000001' } });
      expect(first).toEqual({ refused: expect.stringMatching(/does not take HTTP-TPC COPY \(HTTP 400/) });
      expect(await withPassword.exists('y.bin')).toBe(false);
      expect(await withPassword.copyFrom!(xrdSource, 'tpc/for-rclone.bin', 'y.bin', { checksums: { adler32: '00000001' } })).toEqual(first);
    } finally {
      await rclone.drop();
    }
  });
});
