/** Tombstone meaning "delete as soon as possible" (Rucio's OBSOLETE). */
export const EPOCH_TOMBSTONE: Date = new Date(0);

export interface TombstoneInput {
  /** Locks left on the replica after the change. */
  lockCnt: number;
  /** purge_replicas of the rule whose lock went away. */
  purgeReplicas: boolean;
  /** Last access of the replica; null when never read. */
  accessedAt: Date | null;
  now: Date;
}

/**
 * The replica's tombstone after a lock went away: none while still locked; the epoch for purge_replicas;
 * otherwise the last access time (or now), so the reaper deletes least-recently-used replicas first.
 */
export function tombstoneAfterUnlock(input: TombstoneInput): Date | null {
  if (input.lockCnt > 0) return null;
  if (input.purgeReplicas) return EPOCH_TOMBSTONE;
  return new Date((input.accessedAt ?? input.now).getTime());
}

export function isEpochTombstone(tombstone: Date | null | undefined): boolean {
  return tombstone !== null && tombstone !== undefined && tombstone.getTime() === 0;
}
