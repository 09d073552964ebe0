import { Did } from './names.js';
import { PlacementFile, PlacementGroup } from './placement.js';
import { LockState, ReplicaState } from './states.js';

/**
 * What placing a rule does to each (file, chosen RSE), after Rucio's __create_lock_and_replica
 * (lib/rucio/core/rule_grouping.py). Every entry is one new lock: the replica's lock_cnt goes up by one and
 * its tombstone is cleared.
 */
export type ReplicaAction =
  /** The replica exists and keeps its state. */
  | 'none'
  /** A new replica row in `replicaState`. */
  | 'create'
  /** The existing (UNAVAILABLE or BAD) replica becomes COPYING again. */
  | 'set-copying';

export interface LockPlanEntry {
  scope: string;
  name: string;
  bytes: number;
  rseId: string;
  dataset: Did | null;
  lockState: LockState;
  replicaAction: ReplicaAction;
  /** The replica's state once the plan is applied. */
  replicaState: ReplicaState;
  /** Whether a transfer request to `rseId` is queued for the file. */
  transfer: boolean;
  /** Why a STUCK lock cannot be satisfied now. */
  stuckBy?: StuckCause;
}

/** What keeps a lock from being satisfied at placement. */
export type StuckCause = 'unwritable' | 'no-source' | 'being-deleted';

export interface LockPlanOptions {
  copies: number;
  /** Whether the RSE accepts writes; default: every RSE does. */
  isWritable?: (rseId: string) => boolean;
  /** Whether the file has an eligible source replica (source_replica_expression); default: yes. */
  hasSource?: (file: PlacementFile) => boolean;
  /** Locks the rule already holds (re-evaluation after attach): no second lock per file and RSE, at most `copies`. */
  existingLocks?: Iterable<{ scope: string; name: string; rseId: string }>;
}

export interface LockCounts {
  ok: number;
  replicating: number;
  stuck: number;
}

type Outcome = Pick<LockPlanEntry, 'lockState' | 'replicaAction' | 'replicaState' | 'transfer' | 'stuckBy'>;

function outcome(existing: ReplicaState | undefined, blocked: StuckCause | undefined): Outcome {
  const canCopy = blocked === undefined;
  switch (existing) {
    case ReplicaState.AVAILABLE:
    case ReplicaState.TEMPORARY_UNAVAILABLE:
      return { lockState: LockState.OK, replicaAction: 'none', replicaState: existing, transfer: false };
    case ReplicaState.COPYING:
      // A transfer is already under way for this replica.
      return { lockState: LockState.REPLICATING, replicaAction: 'none', replicaState: existing, transfer: false };
    case ReplicaState.UNAVAILABLE:
    case ReplicaState.BAD:
      return canCopy
        ? { lockState: LockState.REPLICATING, replicaAction: 'set-copying', replicaState: ReplicaState.COPYING, transfer: true }
        : { lockState: LockState.STUCK, replicaAction: 'none', replicaState: existing, transfer: false, stuckBy: blocked };
    case ReplicaState.BEING_DELETED:
      // The repairer retries once the deletion is done; placement normally avoids such RSEs.
      return { lockState: LockState.STUCK, replicaAction: 'none', replicaState: existing, transfer: false, stuckBy: 'being-deleted' };
    case undefined:
      return canCopy
        ? { lockState: LockState.REPLICATING, replicaAction: 'create', replicaState: ReplicaState.COPYING, transfer: true }
        : { lockState: LockState.STUCK, replicaAction: 'create', replicaState: ReplicaState.UNAVAILABLE, transfer: false, stuckBy: blocked };
  }
}

/** One entry per new lock, for every file of every group on every RSE chosen for the group. */
export function ruleLockPlan(
  groups: readonly Pick<PlacementGroup, 'files' | 'rseIds' | 'dataset'>[],
  options: LockPlanOptions,
): LockPlanEntry[] {
  const isWritable = options.isWritable ?? (() => true);
  const hasSource = options.hasSource ?? (() => true);
  const locked = new Map<string, Set<string>>();
  const lockedAt = (scope: string, name: string): Set<string> => {
    const key = `${scope}:${name}`;
    let rses = locked.get(key);
    if (!rses) locked.set(key, (rses = new Set()));
    return rses;
  };
  for (const lock of options.existingLocks ?? []) lockedAt(lock.scope, lock.name).add(lock.rseId);

  const plan: LockPlanEntry[] = [];
  for (const group of groups) {
    for (const rseId of group.rseIds) {
      for (const file of group.files) {
        const rses = lockedAt(file.scope, file.name);
        if (rses.size >= options.copies || rses.has(rseId)) continue;
        rses.add(rseId);
        const existing = file.replicas?.find((replica) => replica.rseId === rseId)?.state;
        plan.push({
          scope: file.scope,
          name: file.name,
          bytes: file.bytes,
          rseId,
          dataset: file.dataset ?? group.dataset ?? null,
          ...outcome(existing, !isWritable(rseId) ? 'unwritable' : !hasSource(file) ? 'no-source' : undefined),
        });
      }
    }
  }
  return plan;
}

/** The rule's lock counters contributed by a plan. */
export function countLocks(plan: readonly Pick<LockPlanEntry, 'lockState'>[]): LockCounts {
  const counts: LockCounts = { ok: 0, replicating: 0, stuck: 0 };
  for (const entry of plan) {
    if (entry.lockState === LockState.OK) counts.ok++;
    else if (entry.lockState === LockState.REPLICATING) counts.replicating++;
    else counts.stuck++;
  }
  return counts;
}
