import { Checksummer } from './checksummer.js';

const MOD = 65521;
/** zlib's NMAX: the most bytes for which b stays below 2^32 between reductions, 255n(n+1)/2 + (n+1)(MOD-1) < 2^32. */
const NMAX = 5552;
/** 16 words = 64 bytes: the most whose running lane sums stay below 2^16 (255 * 16 * 17 / 2 = 34680). */
const GROUP_WORDS = 16;
const GROUP_BYTES = GROUP_WORDS * 4;
/** Whole groups per reduction, within NMAX: 86 groups, 5504 bytes. */
const BLOCK_WORDS = Math.floor(NMAX / GROUP_BYTES) * GROUP_WORDS;
const LANES = 0x00ff00ff;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Adler-32 as Rucio stores it: 8 lowercase hex digits, zero-padded.
 *
 * As in zlib, the sums are reduced modulo 65521 once per block of at most NMAX bytes, never per byte. The aligned
 * middle of each chunk is read as 32-bit words and summed two bytes per 16-bit lane (see addWordGroups); the few
 * bytes before and after it go through the plain byte loop.
 */
export class Adler32Checksummer implements Checksummer {
  readonly algorithm = 'adler32';
  private a = 1;
  private b = 0;

  update(chunk: Uint8Array): void {
    const length = chunk.byteLength;
    const head = LITTLE_ENDIAN ? Math.min((4 - (chunk.byteOffset & 3)) & 3, length) : length;
    const groups = Math.floor((length - head) / GROUP_BYTES);
    this.addBytes(chunk, 0, head);
    if (groups > 0) this.addWordGroups(new Uint32Array(chunk.buffer, chunk.byteOffset + head, groups * GROUP_WORDS));
    this.addBytes(chunk, head + groups * GROUP_BYTES, length);
  }

  digest(): string {
    return (this.b * 65536 + this.a).toString(16).padStart(8, '0');
  }

  private addBytes(bytes: Uint8Array, from: number, to: number): void {
    let { a, b } = this;
    for (let i = from; i < to; ) {
      const blockEnd = Math.min(i + NMAX, to);
      for (; i < blockEnd; i++) {
        a += bytes[i];
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
  }

  /**
   * Each little-endian word holds bytes 0 and 2 in the lanes of `w & LANES` and bytes 1 and 3 in those of
   * `(w >>> 8) & LANES`, so one 32-bit add sums two bytes. Over a group of 16 words, sum* accumulates the bytes
   * per lane and run* the running sums, i.e. each byte times (16 - its word index). The group is then folded
   * into a and b: every byte counts into b once per byte after it, including itself.
   * The group is written out rather than looped because V8 runs it about 1.5x faster that way.
   * `| 0` keeps the lanes in int32 arithmetic; no lane overflows, so the bits are exact.
   */
  private addWordGroups(words: Uint32Array): void {
    let { a, b } = this;
    for (let k = 0; k < words.length; ) {
      const blockEnd = Math.min(k + BLOCK_WORDS, words.length);
      for (; k < blockEnd; k += GROUP_WORDS) {
        let w = words[k];
        let sumEven = w & LANES;
        let sumOdd = (w >>> 8) & LANES;
        let runEven = sumEven;
        let runOdd = sumOdd;
        w = words[k + 1];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 2];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 3];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 4];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 5];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 6];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 7];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 8];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 9];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 10];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 11];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 12];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 13];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 14];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;
        w = words[k + 15];
        sumEven = (sumEven + (w & LANES)) | 0; sumOdd = (sumOdd + ((w >>> 8) & LANES)) | 0;
        runEven = (runEven + sumEven) | 0; runOdd = (runOdd + sumOdd) | 0;

        const s0 = sumEven & 0xffff;
        const s1 = sumOdd & 0xffff;
        const s2 = sumEven >>> 16;
        const s3 = sumOdd >>> 16;
        // Byte j of word i is 4 * (16 - i) - j bytes from the end of the group, counting itself.
        const runs = (runEven & 0xffff) + (runEven >>> 16) + (runOdd & 0xffff) + (runOdd >>> 16);
        b += GROUP_BYTES * a + 4 * runs - (s1 + 2 * s2 + 3 * s3);
        a += s0 + s1 + s2 + s3;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
  }
}
