import { Transform, TransformCallback, TransformOptions } from 'node:stream';
import { assertChecksumAlgorithms, ChecksumAlgorithm, ChecksumResult } from './checksum-algorithm.js';
import { ChecksumSet } from './checksum-set.js';

/**
 * Passes bytes through unchanged and checksums them on the way, for copies that verify as they go:
 * `await pipeline(source, transform, destination)`, then read `transform.checksums`.
 */
export class ChecksumTransform extends Transform {
  private readonly ready: Promise<ChecksumSet>;
  private set: ChecksumSet | undefined;
  private result: ChecksumResult | undefined;

  constructor(algorithms: readonly ChecksumAlgorithm[], options: Pick<TransformOptions, 'highWaterMark'> = {}) {
    super(options);
    assertChecksumAlgorithms(algorithms);
    this.ready = ChecksumSet.create(algorithms);
    this.ready.catch(() => undefined); // reported through the stream by _transform or _flush
  }

  /** Available from 'finish' (writable side done) onwards, so also on 'end' and after pipeline() resolves. */
  get checksums(): ChecksumResult {
    if (!this.result) throw new Error('ChecksumTransform: checksums are only available after the stream has finished.');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.set) {
      this.set.update(chunk);
      callback(null, chunk);
      return;
    }
    this.ready.then((set) => {
      this.set = set;
      set.update(chunk);
      callback(null, chunk);
    }, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.ready.then((set) => {
      this.result = set.result();
      callback();
    }, callback);
  }
}
