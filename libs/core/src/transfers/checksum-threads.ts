import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChecksumAlgorithm, ChecksumResult } from '@tarn/checksums';
import { checksumRange, combineRanges, LocalCopyMismatch, type ChecksumRangeJob } from './checksum-range.js';

/** Files at least this large are checksummed in ranges, one per thread, their adler32 combined. */
const SPLIT_ABOVE = 64 * 1024 * 1024;
const MAX_THREADS = 4;

interface Pending {
  resolve(result: ChecksumResult): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * A few worker threads that checksum ranges of local files, so that a large file is summed by several cores
 * while the kernel copies it, and the event loop (leases, reports, the other transfers) is not held up by
 * seconds of checksumming. Started on first use; idle threads do not keep the process alive.
 */
class ChecksumThreads {
  private readonly threads: Thread[] = [];
  private next = 0;
  private ids = 0;

  constructor(
    private readonly url: URL,
    readonly size: number,
  ) {}

  run(job: ChecksumRangeJob): Promise<ChecksumResult> {
    const thread = this.thread();
    const id = ++this.ids;
    return new Promise<ChecksumResult>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, job });
    });
  }

  private thread(): Thread {
    if (this.threads.length < this.size) {
      const thread: Thread = { worker: new Worker(this.url), pending: new Map() };
      thread.worker.on('message', (message: { id: number; result?: ChecksumResult; error?: { message: string; code?: string; mismatch: boolean } }) => {
        const pending = thread.pending.get(message.id);
        thread.pending.delete(message.id);
        if (thread.pending.size === 0) thread.worker.unref();
        if (!pending) return;
        if (message.result) return pending.resolve(message.result);
        const error = message.error!.mismatch ? new LocalCopyMismatch(message.error!.message) : Object.assign(new Error(message.error!.message), { code: message.error!.code });
        pending.reject(error);
      });
      const fail = (error: Error) => {
        this.threads.splice(this.threads.indexOf(thread), 1);
        for (const p of thread.pending.values()) p.reject(new Error(`a checksum thread died: ${error.message}`));
        thread.pending.clear();
      };
      thread.worker.on('error', fail);
      thread.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
      thread.worker.unref();
      this.threads.push(thread);
    }
    const thread = this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best), this.threads[this.next++ % this.threads.length]);
    return thread;
  }
}

let shared: ChecksumThreads | null | undefined;

/** The process's checksum threads; null where the compiled worker script is absent (sources run by ts-jest). */
function threads(): ChecksumThreads | null {
  if (shared === undefined) {
    const url = new URL('./checksum-range.worker.js', import.meta.url);
    const size = Math.min(MAX_THREADS, availableParallelism());
    shared = url.protocol === 'file:' && existsSync(fileURLToPath(url)) && size > 1 ? new ChecksumThreads(url, size) : null;
  }
  return shared;
}

export interface ChecksumTuning {
  /** Split files at least this large into ranges (default 64 MiB). */
  splitAbove?: number;
  /** Ranges per split file (default: the checksum threads, up to 4 and the cores). */
  ranges?: number;
}

/**
 * Checksums a local file of `expectedBytes` (failing with LocalCopyMismatch past them). A large file and
 * adler32 alone: in consecutive ranges, in parallel on the checksum threads, combined. Otherwise (md5 is
 * sequential; small files are not worth a thread hop) in one pass on a thread, or on this thread when there
 * are none.
 */
export async function checksumLocalFile(
  file: string,
  expectedBytes: number,
  algorithms: readonly ChecksumAlgorithm[],
  signal?: AbortSignal,
  tuning: ChecksumTuning = {},
): Promise<ChecksumResult> {
  const pool = threads();
  const splittable = algorithms.every((a) => a === 'adler32') && expectedBytes >= (tuning.splitAbove ?? SPLIT_ABOVE);
  const count = splittable ? Math.max(1, tuning.ranges ?? pool?.size ?? 1) : 1;
  const step = Math.ceil(expectedBytes / count);
  const jobs: ChecksumRangeJob[] = Array.from({ length: count }, (_, i) => ({
    file,
    start: i * step,
    end: i === count - 1 ? null : (i + 1) * step,
    limit: expectedBytes,
    algorithms,
  }));
  const run = (job: ChecksumRangeJob) => (pool && expectedBytes >= (tuning.splitAbove ?? SPLIT_ABOVE) ? pool.run(job) : checksumRange(job, signal));
  const parts = Promise.all(jobs.map(run));
  if (!signal) return combineRanges(await parts);
  // A thread finishes its range regardless; the copy stops waiting for it at once.
  return combineRanges(
    await new Promise<ChecksumResult[]>((resolve, reject) => {
      const abort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      parts.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    }),
  );
}
