import { open } from 'node:fs/promises';
import { ChecksumSet, type ChecksumAlgorithm, type ChecksumResult } from '@tarn/checksums';

const CHUNK = 8 * 1024 * 1024;
const MOD = 65521;

/** The bytes read from a local file are not those the catalogue describes (size or checksum). */
export class LocalCopyMismatch extends Error {}

/** A part of a file to checksum: bytes [start, end), or from `start` to the end of the file when `end` is null. */
export interface ChecksumRangeJob {
  file: string;
  start: number;
  end: number | null;
  /** The file's expected size: reading past it fails (LocalCopyMismatch). */
  limit: number;
  algorithms: readonly ChecksumAlgorithm[];
}

/**
 * Checksums one range of a file with large double-buffered reads (the next read runs while this chunk is
 * summed). Throws LocalCopyMismatch past `limit` bytes.
 */
export async function checksumRange(job: ChecksumRangeJob, signal?: AbortSignal): Promise<ChecksumResult> {
  const set = await ChecksumSet.create(job.algorithms);
  const end = job.end ?? Number.POSITIVE_INFINITY;
  const input = await open(job.file, 'r');
  try {
    // A small file needs no 8 MiB buffers: its expected size and one byte more (to see that it is not longer).
    const size = Math.max(1, Math.min(CHUNK, end - job.start, job.limit + 1 - job.start));
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let position = job.start;
    const readAt = (i: number) => input.read(buffers[i % 2], 0, Math.min(size, end - position), position);
    let reading = position < end ? readAt(0) : Promise.resolve({ bytesRead: 0 });
    for (let i = 0; ; i++) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      signal?.throwIfAborted();
      position += bytesRead;
      if (position > job.limit) throw new LocalCopyMismatch(`size: more than the expected ${job.limit} bytes`);
      reading = position < end ? readAt(i + 1) : Promise.resolve({ bytesRead: 0 });
      set.update(buffers[i % 2].subarray(0, bytesRead));
    }
  } finally {
    await input.close();
  }
  return set.result();
}

/**
 * Adler-32 of two consecutive pieces from the Adler-32 of each and the length of the second (zlib's
 * adler32_combine): a = a1 + a2 - 1, b = b1 + b2 + len2 * a1 - len2, modulo 65521. Hex in, hex out.
 */
export function combineAdler32(first: string, second: string, secondLength: number): string {
  const x = parseInt(first, 16);
  const y = parseInt(second, 16);
  const rem = secondLength % MOD;
  const a1 = x % 65536;
  const b1 = Math.floor(x / 65536);
  const a2 = y % 65536;
  const b2 = Math.floor(y / 65536);
  const a = (a1 + a2 + MOD - 1) % MOD;
  const b = (b1 + b2 + ((rem * a1) % MOD) + MOD - rem) % MOD;
  return (b * 65536 + a).toString(16).padStart(8, '0');
}

/** The checksums of a whole file from those of its consecutive ranges (only adler32 combines; md5 needs one range). */
export function combineRanges(parts: readonly ChecksumResult[]): ChecksumResult {
  if (parts.length === 1) return parts[0];
  let result: ChecksumResult = { bytes: 0 };
  for (const [i, part] of parts.entries()) {
    if (part.md5 !== undefined || part.xxh64 !== undefined) throw new Error('only adler32 combines across ranges');
    result = i === 0 ? { ...part } : { bytes: result.bytes + part.bytes, adler32: combineAdler32(result.adler32!, part.adler32!, part.bytes) };
  }
  return result;
}
