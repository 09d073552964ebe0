import { Checksummer } from './checksummer.js';

const MOD = 65521;
/** Largest n with 255n(n+1)/2 + (n+1)(MOD-1) < 2^32: bytes that can be summed before b must be reduced (zlib). */
const NMAX = 5552;
const NMAX_WORDS = NMAX / 4;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Adler-32 as Rucio stores it: 8 lowercase hex digits, zero-padded.
 *
 * Sums are reduced modulo 65521 once per NMAX bytes rather than per byte. The aligned middle of a chunk is
 * read as little-endian 32-bit words, four bytes per step, which is about twice as fast in V8 as a byte loop.
 */
export class Adler32Checksummer implements Checksummer {
  readonly algorithm = 'adler32';
  private a = 1;
  private b = 0;

  update(chunk: Uint8Array): void {
    const length = chunk.byteLength;
    const head = LITTLE_ENDIAN ? Math.min((4 - (chunk.byteOffset & 3)) & 3, length) : length;
    const wordCount = (length - head) >>> 2;
    this.addBytes(chunk, 0, head);
    if (wordCount > 0) this.addWords(new Uint32Array(chunk.buffer, chunk.byteOffset + head, wordCount));
    this.addBytes(chunk, head + wordCount * 4, length);
  }

  digest(): string {
    return (this.b * 65536 + this.a).toString(16).padStart(8, '0');
  }

  private addBytes(bytes: Uint8Array, from: number, to: number): void {
    let { a, b } = this;
    let i = from;
    while (i < to) {
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

  private addWords(words: Uint32Array): void {
    let { a, b } = this;
    let k = 0;
    while (k < words.length) {
      const blockEnd = Math.min(k + NMAX_WORDS, words.length);
      for (; k < blockEnd; k++) {
        const w = words[k];
        const x0 = w & 0xff;
        const x1 = (w >>> 8) & 0xff;
        const x2 = (w >>> 16) & 0xff;
        const x3 = w >>> 24;
        // Four steps of b += a at once. b may pass 2^31 within a block but stays below 2^32 (NMAX), so it is
        // kept as a wrapping int32, which V8 compiles to plain integer adds, and read back unsigned below.
        b = (b + (a << 2) + 4 * x0 + 3 * x1 + 2 * x2 + x3) | 0;
        a += x0 + x1 + x2 + x3;
      }
      a %= MOD;
      b = (b >>> 0) % MOD;
    }
    this.a = a;
    this.b = b;
  }
}
