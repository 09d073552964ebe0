import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ChecksumAlgorithm, ChecksumResult } from './checksum-algorithm.js';
import { ChecksumSet } from './checksum-set.js';

/** Read size of checksumFile: large reads keep per-chunk overhead small next to the hashing. */
export const FILE_READ_CHUNK = 1024 * 1024;

/** Reads the stream to its end once, computing every algorithm asked for from the same chunks. */
export async function checksumStream(
  stream: Readable,
  algorithms: readonly ChecksumAlgorithm[],
): Promise<ChecksumResult> {
  // The loop below starts before the checksummers are ready so that the stream has its error listener from
  // the first tick; an 'error' emitted with no listener would crash the process instead of rejecting.
  const ready = ChecksumSet.create(algorithms);
  ready.catch(() => undefined); // still awaited below; this only stops an unhandled rejection if the stream fails first
  let set: ChecksumSet | undefined;
  for await (const chunk of stream) {
    set ??= await ready;
    set.update(asBytes(chunk));
  }
  return (set ?? (await ready)).result();
}

export function checksumFile(path: string, algorithms: readonly ChecksumAlgorithm[]): Promise<ChecksumResult> {
  return checksumStream(createReadStream(path, { highWaterMark: FILE_READ_CHUNK }), algorithms);
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError('checksumStream needs a stream of bytes: do not call setEncoding() or use objectMode on it.');
}
