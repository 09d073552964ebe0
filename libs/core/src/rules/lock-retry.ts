import { EntityManager } from 'typeorm';
import { LockState, ReplicaState } from '@tarn/domain';
import { type ReplicaKey, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { ruleRepository, type RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { ruleRepairRepository, type StuckLock } from '@tarn/catalogue/repositories/rule-repair.repository.js';
import { outboxColumns, type TarnEvent } from '@tarn/events';
import { refreshLockReasons } from './lock-reasons.js';
import { applyLockProgress } from './rule-progress.js';

/** How many of the retried locks took each state. */
export interface RetriedLocks {
  ok: number;
  replicating: number;
  stuck: number;
}

/** The lock state a retried lock takes from its replica's state (undefined: there is none). */
function retryState(replica: ReplicaState | undefined): LockState {
  if (replica === ReplicaState.AVAILABLE || replica === ReplicaState.TEMPORARY_UNAVAILABLE) return LockState.OK;
  if (replica === ReplicaState.BEING_DELETED) return LockState.STUCK;
  return LockState.REPLICATING;
}

/**
 * Retries STUCK locks of a rule on their own RSE: a replica that became AVAILABLE makes the lock OK; otherwise
 * the replica is (again) COPYING and a transfer is QUEUED — failed ones requeued, missing ones created; a
 * replica being deleted leaves the lock STUCK until the deletion is over. Each lock's repair count goes up,
 * its last error stays. The caller moves the rule's counters.
 */
export async function retryLocksInPlace(manager: EntityManager, rule: RuleRecord, locks: readonly StuckLock[]): Promise<RetriedLocks> {
  const retried: RetriedLocks = { ok: 0, replicating: 0, stuck: 0 };
  if (locks.length === 0) return retried;
  const keys = sortReplicaKeys(locks.map((l) => ({ scope: l.scope, name: l.name, rseId: l.rseId })));
  const replicas = await ruleRepairRepository.lockReplicas(manager, keys);
  const states = locks.map((l) => ({ lock: l, state: retryState(replicas.get(`${l.scope}:${l.name}@${l.rseId}`)) }));
  for (const s of states) {
    if (s.state === LockState.OK) retried.ok++;
    else if (s.state === LockState.STUCK) retried.stuck++;
    else retried.replicating++;
  }
  const copying = states.filter((s) => s.state === LockState.REPLICATING).map((s) => s.lock);
  await ruleRepairRepository.prepareCopies(manager, sortReplicaKeys(copying.map((l) => ({ scope: l.scope, name: l.name, rseId: l.rseId, bytes: l.bytes }))));
  await ruleRepairRepository.retryLocks(
    manager,
    rule.id,
    states.map((s) => ({ scope: s.lock.scope, name: s.lock.name, rseId: s.lock.rseId, state: s.state })),
  );
  const outbox = outboxColumns('transfer.queued');
  const copyKeys: ReplicaKey[] = copying.map((l) => ({ scope: l.scope, name: l.name, rseId: l.rseId }));
  await ruleRepairRepository.requeueFailed(manager, copyKeys, rule.id, outbox);
  await requestRepository.insertQueued(
    manager,
    copying.map((l) => ({ scope: l.scope, name: l.name, destRseId: l.rseId, bytes: l.bytes, adler32: l.adler32, md5: l.md5 })),
    {
      ruleId: rule.id,
      account: rule.account,
      activity: rule.activity,
      priority: rule.priority,
      attributes: rule.sourceReplicaExpression ? { source_replica_expression: rule.sourceReplicaExpression } : null,
    },
    outbox,
  );
  await refreshLockReasons(manager, copyKeys);
  return retried;
}

/**
 * Locks STUCK for want of a source, on files that just got an AVAILABLE replica, are retried at once rather
 * than after the repairer's back-off: the new replica is their source. Returns the rules' progress events.
 */
export async function retryUnsourcedLocks(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>): Promise<TarnEvent[]> {
  const locks = await ruleRepairRepository.unsourcedStuckLocks(manager, files);
  if (locks.length === 0) return [];
  const byRule = new Map<string, StuckLock[]>();
  for (const { ruleId, ...lock } of locks) byRule.set(ruleId, [...(byRule.get(ruleId) ?? []), lock]);
  const deltas = [];
  for (const [ruleId, ruleLocks] of byRule) {
    const rule = await ruleRepository.findById(manager, ruleId);
    if (!rule) continue;
    const retried = await retryLocksInPlace(manager, rule, ruleLocks);
    deltas.push({ ruleId, ok: retried.ok, replicating: retried.replicating, stuck: retried.stuck - ruleLocks.length });
  }
  return applyLockProgress(manager, deltas);
}
