/** Test helpers: cut a buffer at chosen boundaries, with a seeded generator so failures reproduce. */

export function splitEvery(data: Buffer, size: number): Buffer[] {
  return splitBy(data, () => size);
}

export function splitBy(data: Buffer, nextSize: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = Math.max(1, nextSize());
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Integers in [min, max] from a seeded generator. */
export function seededSizes(seed: number, min: number, max: number): () => number {
  const next = mulberry32(seed);
  return () => min + Math.floor((next() / 4294967296) * (max - min + 1));
}

/** Bytes without a repeating pattern at any small period, the same on every run. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const next = mulberry32(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer, 0, length);
}

/** Unsigned 32-bit integers from a seed (mulberry32): the same seed, the same numbers. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
