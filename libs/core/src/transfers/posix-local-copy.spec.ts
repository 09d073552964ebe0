import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumSet } from '@tarn/checksums';
import { combineAdler32, combineRanges } from './checksum-range.js';
import { checksumLocalFile } from './checksum-threads.js';
import { copyLocalFile, LocalCopyMismatch } from './posix-local-copy.js';

async function sums(data: Buffer, algorithms: Array<'adler32' | 'md5'> = ['adler32']) {
  const set = await ChecksumSet.create(algorithms);
  set.update(data);
  return set.result();
}

describe('adler32 of ranges', () => {
  it('combines the adler32 of consecutive pieces into that of the whole, whatever the cut', async () => {
    const data = randomBytes(200_003);
    const whole = (await sums(data)).adler32;
    for (const cut of [0, 1, 65_520, 65_521, 65_522, 100_000, 200_003]) {
      const [a, b] = [await sums(data.subarray(0, cut)), await sums(data.subarray(cut))];
      expect(combineAdler32(a.adler32!, b.adler32!, b.bytes)).toBe(whole);
    }
    const parts = await Promise.all([0, 1, 2, 3].map((i) => sums(data.subarray(i * 50_001, (i + 1) * 50_001))));
    expect(combineRanges(parts)).toEqual({ bytes: data.length, adler32: whole });
  });

  it('checksums a file in ranges like in one pass, and fails past the expected size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tarn-ranges-'));
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(join(dir, 'f'), data);
      const expected = await sums(data);
      for (const ranges of [1, 2, 3, 5]) {
        expect(await checksumLocalFile(join(dir, 'f'), data.length, ['adler32'], undefined, { splitAbove: 1, ranges })).toEqual(expected);
      }
      await expect(checksumLocalFile(join(dir, 'f'), data.length - 1, ['adler32'], undefined, { splitAbove: 1, ranges: 3 })).rejects.toThrow(LocalCopyMismatch);
      const short = await checksumLocalFile(join(dir, 'f'), data.length + 5, ['adler32'], undefined, { splitAbove: 1, ranges: 3 });
      expect(short.bytes).toBe(data.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('copyLocalFile', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tarn-local-copy-'));
    await mkdir(join(root, 'src'));
    await mkdir(join(root, 'dst'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('copies, verifies size and checksums (split in ranges or not, with md5 or not) and places the file', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    await writeFile(join(root, 'src', 'f'), data);
    const expected = await sums(data, ['adler32', 'md5']);
    const adler = await copyLocalFile({ root: join(root, 'src'), path: 'f' }, { root: join(root, 'dst'), path: 'a/b/f1' }, { bytes: data.length, adler32: expected.adler32 }, ['adler32'], undefined, { splitAbove: 1, ranges: 3 });
    expect(adler).toEqual({ bytes: data.length, adler32: expected.adler32 });
    const both = await copyLocalFile({ root: join(root, 'src'), path: 'f' }, { root: join(root, 'dst'), path: 'a/b/f2' }, { bytes: data.length, adler32: expected.adler32, md5: expected.md5 }, ['adler32', 'md5'], undefined, { splitAbove: 1, ranges: 3 });
    expect(both).toEqual(expected);
    expect((await readFile(join(root, 'dst', 'a/b/f1'))).equals(data)).toBe(true);
    expect((await readFile(join(root, 'dst', 'a/b/f2'))).equals(data)).toBe(true);
    expect((await readdir(join(root, 'dst', 'a/b'))).sort()).toEqual(['f1', 'f2']);
  });

  it('copies a large file (flushed while the kernel writes it) whole, readable by others, and leaves nothing when it does not match', async () => {
    const data = randomBytes(80 * 1024 * 1024 + 3);
    await writeFile(join(root, 'src', 'big'), data);
    const { adler32 } = await sums(data);
    expect(await copyLocalFile({ root: join(root, 'src'), path: 'big' }, { root: join(root, 'dst'), path: 'l/big' }, { bytes: data.length, adler32 }, ['adler32'])).toEqual({ bytes: data.length, adler32 });
    expect((await readFile(join(root, 'dst', 'l/big'))).equals(data)).toBe(true);
    expect((await stat(join(root, 'dst', 'l/big'))).mode & 0o777).toBe(0o644);
    const other = await sums(data.subarray(1));
    await expect(
      copyLocalFile({ root: join(root, 'src'), path: 'big' }, { root: join(root, 'dst'), path: 'm/big' }, { bytes: data.length, adler32: other.adler32 }, ['adler32']),
    ).rejects.toThrow(LocalCopyMismatch);
    expect(await readdir(join(root, 'dst', 'm'))).toEqual([]);
    expect(await readdir(join(root, 'dst', 'l'))).toEqual(['big']);
  });

  it('refuses a source whose bytes or size differ from the catalogue and leaves nothing at the destination', async () => {
    const data = randomBytes(1024 * 1024);
    await writeFile(join(root, 'src', 'f'), data);
    const { adler32 } = await sums(data);
    const other = await sums(randomBytes(1024 * 1024));
    await expect(
      copyLocalFile({ root: join(root, 'src'), path: 'f' }, { root: join(root, 'dst'), path: 'x/f' }, { bytes: data.length, adler32: other.adler32 }, ['adler32'], undefined, { splitAbove: 1, ranges: 2 }),
    ).rejects.toThrow(new LocalCopyMismatch(`adler32 expected ${other.adler32}, read ${adler32}`));
    await expect(
      copyLocalFile({ root: join(root, 'src'), path: 'f' }, { root: join(root, 'dst'), path: 'x/f' }, { bytes: data.length + 1, adler32 }, ['adler32']),
    ).rejects.toThrow(`size expected ${data.length + 1}, read ${data.length}`);
    await expect(
      copyLocalFile({ root: join(root, 'src'), path: 'f' }, { root: join(root, 'dst'), path: 'x/f' }, { bytes: data.length - 1, adler32 }, ['adler32']),
    ).rejects.toThrow(LocalCopyMismatch);
    expect(await readdir(join(root, 'dst', 'x'))).toEqual([]);
  });
});
