import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Adler32Checksummer } from './adler32.checksummer.js';
import { ChecksumAlgorithm, ChecksumResult } from './checksum-algorithm.js';
import { checksumFile, checksumStream } from './checksum-stream.js';
import { pseudoRandomBytes, seededSizes, splitBy, splitEvery } from './testing/chunks.js';
import { loadXxhash } from './xxh64.checksummer.js';

const ALL: ChecksumAlgorithm[] = ['adler32', 'md5', 'xxh64'];

/** Each digest computed on its own from the whole buffer, by a different path than the streaming one. */
async function oneShot(data: Buffer): Promise<ChecksumResult> {
  const adler32 = new Adler32Checksummer();
  adler32.update(data);
  const { h64Raw } = await loadXxhash();
  return {
    adler32: adler32.digest(),
    md5: createHash('md5').update(data).digest('hex'),
    xxh64: h64Raw(data).toString(16).padStart(16, '0'),
    bytes: data.length,
  };
}

describe('checksumStream', () => {
  const data = pseudoRandomBytes(4 * 5552 + 1234);

  it.each([1, 7, 5551, 5552, 5553, 65536])('gives the one-shot digests for %i-byte chunks', async (size) => {
    expect(await checksumStream(Readable.from(splitEvery(data, size)), ALL)).toEqual(await oneShot(data));
  });

  it.each([1, 2, 3])('gives the one-shot digests for random chunk sizes (seed %i)', async (seed) => {
    const big = pseudoRandomBytes(300_000, seed);
    const chunks = splitBy(big, seededSizes(seed, 1, 20_000));
    expect(await checksumStream(Readable.from(chunks), ALL)).toEqual(await oneShot(big));
  });

  it('computes only the algorithms asked for, each once', async () => {
    const expected = await oneShot(data);
    expect(await checksumStream(Readable.from([data]), ['xxh64', 'adler32', 'xxh64'])).toEqual({
      adler32: expected.adler32,
      xxh64: expected.xxh64,
      bytes: data.length,
    });
  });

  it('digests an empty stream', async () => {
    expect(await checksumStream(Readable.from([]), ALL)).toEqual({
      adler32: '00000001',
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      xxh64: 'ef46db3751d8e999',
      bytes: 0,
    });
  });

  it('rejects with the error of the stream', async () => {
    let served = false;
    const failing = new Readable({
      read() {
        if (served) this.destroy(new Error('disk gone'));
        else this.push(Buffer.from('some bytes'));
        served = true;
      },
    });
    await expect(checksumStream(failing, ALL)).rejects.toThrow('disk gone');
  });

  it('rejects text chunks rather than guessing their encoding', async () => {
    await expect(checksumStream(Readable.from(['abc']), ['md5'])).rejects.toThrow(/stream of bytes/);
  });

  it('rejects an unknown algorithm', async () => {
    await expect(checksumStream(Readable.from([data]), ['crc32' as ChecksumAlgorithm])).rejects.toThrow(
      /Unknown checksum algorithm\(s\): crc32/,
    );
  });
});

describe('checksumFile', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tarn-checksums-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the one-shot digests of a file larger than one read', async () => {
    const content = pseudoRandomBytes(3 * 1024 * 1024 + 7, 9);
    const path = join(dir, 'file.bin');
    await writeFile(path, content);
    expect(await checksumFile(path, ALL)).toEqual(await oneShot(content));
  });

  it('rejects for a missing file', async () => {
    await expect(checksumFile(join(dir, 'missing.bin'), ALL)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
