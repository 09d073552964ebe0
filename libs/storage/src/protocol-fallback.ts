import { ChecksumMismatch, InvalidStoragePath, isStorageError } from './storage.errors.js';

/**
 * What a run (an upload, a download, a reaper pass) learnt of an RSE's protocols (its doors) as it fell back from
 * one to the next: doors that did not answer (a transient error) are tried last from then on (for `forgetAfterMs`,
 * in a long-running process), so that file after file does not wait on them, and each door that failed is said
 * once, not once per file.
 */
export class ProtocolFallback<K> {
  /** When each door that did not answer failed last. */
  private readonly unanswered = new Map<K, number>();
  private readonly said = new Set<K>();

  constructor(private readonly forgetAfterMs = Infinity) {}

  /**
   * Whether another protocol may do what one failed to: not when the bytes or the path were wrong (they would be
   * through any door), nor for an error that is not the storage's.
   */
  static worthTrying(error: unknown): boolean {
    return isStorageError(error) && !(error instanceof ChecksumMismatch) && !(error instanceof InvalidStoragePath);
  }

  /** The candidates in their order, those whose door did not answer in this run last. */
  order<T>(candidates: readonly T[], doorOf: (candidate: T) => K): T[] {
    const answered = candidates.filter((c) => !this.isUnanswered(doorOf(c)));
    return [...answered, ...candidates.filter((c) => this.isUnanswered(doorOf(c)))];
  }

  /** Whether `door` did not answer lately (within forgetAfterMs). */
  isUnanswered(door: K): boolean {
    const at = this.unanswered.get(door);
    if (at === undefined) return false;
    if (Date.now() - at < this.forgetAfterMs) return true;
    this.unanswered.delete(door);
    return false;
  }

  /** Records that `door` failed with `error` (tried last from now on when it did not answer). */
  failed(door: K, error: unknown): void {
    if ((error as { transient?: boolean }).transient === true) this.unanswered.set(door, Date.now());
  }

  /** True the first time only: whether to say that `door` failed. */
  sayOnce(door: K): boolean {
    if (this.said.has(door)) return false;
    this.said.add(door);
    return true;
  }
}
