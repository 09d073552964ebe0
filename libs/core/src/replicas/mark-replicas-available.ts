import { EntityManager } from 'typeorm';
import { appendEvents, outboxColumns, tarnEvent, TarnEvent } from '@tarn/events';
import { lockRepository } from '@tarn/catalogue/repositories/lock.repository.js';
import { ReplicaKey, replicaRepository, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { applyLockProgress } from '../rules/rule-progress.js';
import { retryUnsourcedLocks } from '../rules/lock-retry.js';
import type { MarkAvailableResult } from './replica.types.js';

/** A replica that just became AVAILABLE, with what its event says. */
export interface AvailableReplica extends ReplicaKey {
  rse: string;
  bytes: number;
}

/**
 * The replicas are (now) AVAILABLE: set-based, within the caller's transaction. Locks waiting for them
 * (REPLICATING or STUCK) become OK; transfers to them not yet submitted are archived as DONE; the rules'
 * counters and states follow (rule.ok when all locks are OK, else rule.progress); replica.available is
 * emitted for each replica that was not AVAILABLE before. Used by the transfer finisher (and by state changes).
 */
export async function markReplicasAvailable(manager: EntityManager, replicas: readonly ReplicaKey[]): Promise<MarkAvailableResult> {
  if (replicas.length === 0) return { available: 0, locksSatisfied: 0, transfersFinished: 0 };
  const keys = sortReplicaKeys(replicas.map((r) => ({ scope: r.scope, name: r.name, rseId: r.rseId })));
  const changed = await replicaRepository.setAvailable(manager, keys);
  return replicasBecameAvailable(manager, changed, keys);
}

/**
 * What follows replicas becoming AVAILABLE once their rows say so (registration writes the state itself):
 * replica.available for each of `available`; locks and transfers waiting for `waiting` (the replicas that
 * existed before: a row inserted in this transaction has no lock or transfer waiting for it) are settled.
 */
export async function replicasBecameAvailable(
  manager: EntityManager,
  available: readonly AvailableReplica[],
  waiting: readonly ReplicaKey[],
): Promise<MarkAvailableResult> {
  const keys = sortReplicaKeys(waiting.map((r) => ({ scope: r.scope, name: r.name, rseId: r.rseId })));
  const satisfied = await lockRepository.satisfy(manager, keys);
  const transfersFinished = await requestRepository.finishForReplicas(manager, keys, 'the replica became available');
  // A new source: transfers of these files that found none go now rather than after their back-off.
  await requestRepository.wakeForNewSources(manager, available, outboxColumns('transfer.queued'));
  const retried = await retryUnsourcedLocks(manager, available);
  const events: TarnEvent[] = available.map((r) =>
    tarnEvent('replica.available', { scope: r.scope, name: r.name, rse: r.rse, rseId: r.rseId, bytes: r.bytes }),
  );
  events.push(
    ...(await applyLockProgress(
      manager,
      satisfied.map((s) => ({ ruleId: s.ruleId, ok: s.fromReplicating + s.fromStuck, replicating: -s.fromReplicating, stuck: -s.fromStuck })),
    )),
  );
  events.push(...retried);
  await appendEvents(manager, events);
  return {
    available: available.length,
    locksSatisfied: satisfied.reduce((sum, s) => sum + s.fromReplicating + s.fromStuck, 0),
    transfersFinished,
  };
}
