import { deflateSync } from 'node:zlib';
import { Adler32Checksummer } from './adler32.checksummer.js';
import { pseudoRandomBytes, splitEvery } from './testing/chunks.js';

/** The definition, one byte and one modulo at a time: slow and obviously right. */
function referenceAdler32(data: Uint8Array): string {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a).toString(16).padStart(8, '0');
}

/** zlib's own adler32: the zlib format ends with it, big-endian, over the uncompressed data. */
function zlibAdler32(data: Uint8Array): string {
  return deflateSync(data, { level: 1 }).subarray(-4).toString('hex');
}

function adler32(...chunks: Uint8Array[]): string {
  const checksummer = new Adler32Checksummer();
  for (const chunk of chunks) checksummer.update(chunk);
  return checksummer.digest();
}

const longText = Buffer.from(
  Array.from({ length: 20000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`).join(''),
);

describe('Adler32Checksummer', () => {
  it.each([
    ['Wikipedia', '11e60398'],
    ['', '00000001'],
    ['abc', '024d0127'],
    ['a', '00620062'],
  ])('digests %j as %s', (text, expected) => {
    expect(adler32(Buffer.from(text))).toBe(expected);
  });

  it('pads to 8 digits when the high sum is small', () => {
    expect(adler32(Buffer.from([0]))).toBe('00010001');
  });

  it('matches the reference and zlib on 1 MiB of 0xff, where the sums grow fastest', () => {
    const data = Buffer.alloc(1024 * 1024, 0xff);
    const expected = referenceAdler32(data);
    expect(zlibAdler32(data)).toBe(expected);
    expect(adler32(data)).toBe(expected);
  });

  it('matches the reference and zlib on a long text', () => {
    const expected = referenceAdler32(longText);
    expect(zlibAdler32(longText)).toBe(expected);
    expect(adler32(longText)).toBe(expected);
  });

  it('is the same at every alignment of the chunk in its memory', () => {
    const data = pseudoRandomBytes(3 * 5552 + 11);
    const expected = referenceAdler32(data);
    for (let shift = 0; shift < 8; shift++) {
      const backing = Buffer.alloc(data.length + 8);
      data.copy(backing, shift);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + shift, data.length);
      expect(adler32(view)).toBe(expected);
    }
  });

  it.each([1, 2, 3, 4, 5, 5551, 5552, 5553, 65536])('is the same fed in %i-byte chunks', (size) => {
    const data = pseudoRandomBytes(4 * 5552 + 7, size);
    expect(adler32(...splitEvery(data, size))).toBe(referenceAdler32(data));
  });

  it('handles short chunks that sit inside one aligned word', () => {
    const backing = Buffer.from('xabcdefgh');
    expect(adler32(backing.subarray(1, 3), backing.subarray(3, 4))).toBe(referenceAdler32(Buffer.from('abc')));
  });
});
