import { ChecksumAlgorithm } from './checksum-algorithm.js';

/** Incremental checksum of one algorithm: feed every chunk in order, then call digest() once. */
export interface Checksummer {
  readonly algorithm: ChecksumAlgorithm;
  update(chunk: Uint8Array): void;
  /** Lowercase hex, zero-padded to the algorithm's full width. */
  digest(): string;
}
