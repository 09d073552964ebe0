import type { Readable } from 'node:stream';
import { ChecksumSet, type ChecksumAlgorithm } from '@tarn/checksums';
import { ChecksumMismatch, type StorageChecksums } from '@tarn/storage';
import { copyLocalFile, LocalCopyMismatch } from './posix-local-copy.js';
import type { TransferEndpoint } from './transfer-endpoints.js';

/** One file to copy, with what the catalogue says about it. */
export interface CopyJob {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  source: TransferEndpoint;
  destination: TransferEndpoint;
  /** Aborting it stops the copy (the destination keeps nothing). */
  signal?: AbortSignal;
}

export interface CopyResult {
  bytes: number;
  adler32: string | null;
  md5: string | null;
  /** Copied by the storage itself (S3 CopyObject on the same endpoint), not streamed through Tarn. */
  serverSide: boolean;
}

/** Why a copy failed, and whose fault it most likely was (the next attempt prefers another source if the source's). */
export class CopyFailed extends Error {
  constructor(
    message: string,
    readonly blame: 'source' | 'destination',
  ) {
    super(message);
  }
}

/** The bytes read from the source do not match the catalogue: its replica is corrupt (or was truncated). */
export class CorruptSource extends CopyFailed {
  constructor(
    message: string,
    /** What differs, e.g. `adler32 expected 0a0b0c0d, read 01020304`. */
    readonly finding: string,
  ) {
    super(message, 'source');
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Copies a file from its source to its destination and verifies it: streamed (never buffered whole) with its
 * adler32 (and md5 when the file has one) computed in the same pass and checked, with the size, before the
 * destination makes the file visible (temporary name then rename, completed multipart upload, PUT then MOVE);
 * between two local posix RSEs without streams (copyLocalFile: large buffers, checksummed while written);
 * server-side when both ends are the same S3 endpoint, then verified at the destination (its size, and its
 * checksums as the storage reports them, else read back).
 * Throws CopyFailed naming the file, both RSEs and the reason.
 */
export async function copyVerified(job: CopyJob): Promise<CopyResult> {
  const { source, destination } = job;
  const did = `${job.scope}:${job.name}`;
  const route = `${did} from ${source.rse} (${source.storage.endpoint}${source.path}) to ${destination.rse} (${destination.storage.endpoint}${destination.path})`;
  const expected: StorageChecksums = {};
  if (job.adler32) expected.adler32 = job.adler32;
  if (job.md5) expected.md5 = job.md5;
  const algorithms: ChecksumAlgorithm[] = job.md5 ? ['adler32', 'md5'] : ['adler32'];
  job.signal?.throwIfAborted();

  if (destination.storage.copyFrom) {
    let copied;
    try {
      copied = await destination.storage.copyFrom(source.storage, source.path, destination.path);
    } catch (error) {
      throw new CopyFailed(`server-side copy of ${route} failed: ${messageOf(error)}`, 'destination');
    }
    if (copied) {
      const sums = await verifyAtDestination(job, expected, algorithms, route, true);
      return { bytes: job.bytes, adler32: sums.adler32 ?? job.adler32, md5: sums.md5 ?? job.md5, serverSide: true };
    }
  }

  if (source.localRoot && destination.localRoot) {
    try {
      const sums = await copyLocalFile(
        { root: source.localRoot, path: source.path },
        { root: destination.localRoot, path: destination.path },
        { bytes: job.bytes, ...expected },
        algorithms,
        job.signal,
      );
      return { bytes: sums.bytes, adler32: sums.adler32 ?? null, md5: sums.md5 ?? null, serverSide: false };
    } catch (error) {
      if (error instanceof LocalCopyMismatch) {
        throw new CorruptSource(`the source replica of ${route} does not match the catalogue (${error.message}): it may be corrupted; nothing was written`, error.message);
      }
      const code = (error as { code?: string }).code;
      const sourceSide = code === 'ENOENT' && (error as { path?: string }).path?.startsWith(source.localRoot);
      throw new CopyFailed(`copy of ${route} failed: ${messageOf(error)}`, sourceSide ? 'source' : 'destination');
    }
  }

  let stream: Readable;
  try {
    stream = await source.storage.read(source.path);
  } catch (error) {
    throw new CopyFailed(`cannot read the source of ${route}: ${messageOf(error)}`, 'source');
  }
  const abort = () => stream.destroy(new Error('the transfer was cancelled'));
  job.signal?.addEventListener('abort', abort, { once: true });
  let written;
  try {
    written = await destination.storage.write(destination.path, stream, { bytes: job.bytes, checksums: expected, algorithms });
  } catch (error) {
    stream.destroy();
    if (error instanceof ChecksumMismatch) {
      const what = error.mismatched.map((m) => `${m.what} expected ${m.expected}, read ${m.actual}`).join('; ');
      throw new CorruptSource(`the source replica of ${route} does not match the catalogue (${what}): it may be corrupted; nothing was written`, what);
    }
    const sourceSide = (error as { storage?: { endpoint?: string } }).storage?.endpoint === source.storage.endpoint;
    throw new CopyFailed(`copy of ${route} failed: ${messageOf(error)}`, sourceSide ? 'source' : 'destination');
  } finally {
    job.signal?.removeEventListener('abort', abort);
  }
  // The write itself verified size and checksums before committing the file: no second look needed.
  return { bytes: written.bytes, adler32: written.adler32 ?? null, md5: written.md5 ?? null, serverSide: false };
}

/**
 * What the destination says after the copy: its size, and the checksums it reports itself (S3 ETag, WebDAV
 * Digest). A server-side copy passed no bytes through Tarn: unless the storage reported a checksum to compare,
 * the file is read back and checksummed. A mismatch removes the file and fails.
 */
async function verifyAtDestination(
  job: CopyJob,
  expected: StorageChecksums,
  algorithms: ChecksumAlgorithm[],
  route: string,
  readBack: boolean,
): Promise<StorageChecksums> {
  const { destination } = job;
  const fail = async (why: string, blame: 'corrupt source' | 'destination'): Promise<never> => {
    await destination.storage.delete(destination.path).catch(() => undefined);
    const message = `verification of ${route} at the destination failed: ${why}; the copy was removed`;
    throw blame === 'destination' ? new CopyFailed(message, blame) : new CorruptSource(message, `copied server-side: ${why}`);
  };
  let stat;
  try {
    stat = await destination.storage.stat(destination.path);
  } catch (error) {
    throw new CopyFailed(`cannot check ${route} at the destination: ${messageOf(error)}`, 'destination');
  }
  if (stat.bytes !== job.bytes) await fail(`size ${stat.bytes}, expected ${job.bytes}`, 'destination');
  const reported = stat.checksums ?? {};
  let compared = false;
  for (const algorithm of ['adler32', 'md5'] as const) {
    if (expected[algorithm] && reported[algorithm]) {
      compared = true;
      if (expected[algorithm] !== reported[algorithm]) await fail(`${algorithm} ${reported[algorithm]}, expected ${expected[algorithm]}`, 'corrupt source');
    }
  }
  if (!readBack || compared) return {};
  const set = await ChecksumSet.create(algorithms);
  try {
    const stream = await destination.storage.read(destination.path);
    for await (const chunk of stream) set.update(chunk as Buffer);
  } catch (error) {
    throw new CopyFailed(`cannot read back ${route} at the destination: ${messageOf(error)}`, 'destination');
  }
  const actual = set.result();
  for (const algorithm of ['adler32', 'md5'] as const) {
    if (expected[algorithm] && actual[algorithm] !== expected[algorithm]) {
      await fail(`${algorithm} ${actual[algorithm]}, expected ${expected[algorithm]}`, 'corrupt source');
    }
  }
  return { adler32: actual.adler32, md5: actual.md5 };
}
