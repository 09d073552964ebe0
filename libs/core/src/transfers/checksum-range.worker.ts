import { parentPort } from 'node:worker_threads';
import { checksumRange, LocalCopyMismatch, type ChecksumRangeJob } from './checksum-range.js';

/** A checksum thread of ChecksumThreads: one range at a time, answered with its id. */
parentPort?.on('message', (message: { id: number; job: ChecksumRangeJob }) => {
  checksumRange(message.job).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error & { code?: string }) =>
      parentPort!.postMessage({ id: message.id, error: { message: error.message, code: error.code, mismatch: error instanceof LocalCopyMismatch } }),
  );
});
