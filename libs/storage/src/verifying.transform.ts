import { Transform, TransformCallback } from 'node:stream';
import { ChecksumAlgorithm, ChecksumSet, compareChecksums } from '@tarn/checksums';
import type { StorageChecksums, WriteOptions, WriteResult } from './storage-protocol.js';

export interface Mismatch {
  what: string;
  expected: string;
  actual: string;
}

/**
 * Passes the bytes of a write through, counting and checksumming them, and fails the stream *before its end*
 * when they differ from what was expected, so that the writer never commits them (no rename, no completed
 * upload). Too many bytes fail as soon as they arrive. With `deferred`, a checksum mismatch does not
 * fail the stream: the writer lets its request finish (a temporary file it can delete for sure, rather than
 * an aborted request the server may still be handling) and calls assertMatches() before committing.
 */
export class VerifyingTransform extends Transform {
  private readonly ready: Promise<ChecksumSet> | undefined;
  private set: ChecksumSet | undefined;
  private count = 0;
  private done: WriteResult | undefined;
  private found: Mismatch[] = [];

  constructor(
    private readonly expected: Pick<WriteOptions, 'bytes' | 'checksums'>,
    algorithms: readonly ChecksumAlgorithm[],
    private readonly fail: (mismatched: Mismatch[]) => Error,
    private readonly deferred = false,
  ) {
    super();
    const wanted = [...new Set([...algorithms, ...expectedAlgorithms(expected.checksums)])];
    if (wanted.length > 0) {
      this.ready = ChecksumSet.create(wanted);
      this.ready.catch(() => undefined); // reported by _transform or _flush
    }
  }

  /** Available once the stream has finished. */
  get result(): WriteResult {
    if (!this.done) throw new Error('VerifyingTransform: the result is only known after the stream has finished');
    return this.done;
  }

  /** For `deferred` verifiers, once the stream has finished: the error to throw if the bytes did not match. */
  assertMatches(): void {
    if (this.found.length > 0) throw this.fail(this.found);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.byteLength;
    const bytes = this.expected.bytes;
    if (bytes !== undefined && this.count > bytes) {
      callback(this.fail([{ what: 'size', expected: String(bytes), actual: `more than ${bytes} bytes` }]));
      return;
    }
    if (!this.ready) return callback(null, chunk);
    if (this.set) {
      this.set.update(chunk);
      return callback(null, chunk);
    }
    this.ready.then((set) => {
      this.set = set;
      set.update(chunk);
      callback(null, chunk);
    }, callback);
  }

  override _flush(callback: TransformCallback): void {
    const finish = (result: WriteResult) => {
      this.found = this.mismatches(result);
      // A short body always fails here: the writer may have declared the size (Content-Length) to the server.
      const sizeWrong = this.found.some((m) => m.what === 'size');
      if (this.found.length > 0 && (!this.deferred || sizeWrong)) return callback(this.fail(this.found));
      this.done = result;
      callback();
    };
    if (!this.ready) return finish({ bytes: this.count });
    this.ready.then((set) => finish(set.result()), callback);
  }

  private mismatches(result: WriteResult): Mismatch[] {
    const mismatched: Mismatch[] = [];
    const { bytes, checksums } = this.expected;
    if (bytes !== undefined && result.bytes !== bytes) {
      mismatched.push({ what: 'size', expected: String(bytes), actual: String(result.bytes) });
    }
    if (checksums) {
      const comparison = compareChecksums(checksums, result);
      for (const algorithm of comparison.mismatched) {
        const want = (checksums as Record<string, string | undefined>)[algorithm];
        mismatched.push({ what: algorithm, expected: String(want), actual: String(result[algorithm]) });
      }
    }
    return mismatched;
  }
}

function expectedAlgorithms(checksums: StorageChecksums | undefined): ChecksumAlgorithm[] {
  if (!checksums) return [];
  return (['adler32', 'md5'] as const).filter((a) => checksums[a]);
}
