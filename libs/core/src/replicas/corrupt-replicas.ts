import { EntityManager } from 'typeorm';
import { appendEvents, tarnEvent } from '@tarn/events';
import { BadReplicaState } from '@tarn/domain';
import { badReplicaRepository, type CorruptReplica, type DeclaredCorrupt } from '@tarn/catalogue/repositories/bad-replica.repository.js';
import { lockReplicaRows, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { ruleRepository } from '@tarn/catalogue/repositories/rule.repository.js';
import { ROOT_ISSUER } from '../auth/issuer.js';

/**
 * Replicas a reader found corrupt (a transfer read bytes that do not match the catalogue), within the caller's
 * transaction, declared by the system account: BAD where another AVAILABLE copy exists, so that the
 * replica-registrar's recovery re-copies them from it (replica.bad); SUSPICIOUS where it is the only copy, which
 * stays AVAILABLE for an operator to look at (GET /replicas/suspicious lists it).
 */
export async function declareCorruptReplicas(manager: EntityManager, found: readonly CorruptReplica[]): Promise<DeclaredCorrupt[]> {
  if (found.length === 0) return [];
  await lockReplicaRows(manager, sortReplicaKeys(found.map((f) => ({ scope: f.scope, name: f.name, rseId: f.rseId }))));
  const declared = await badReplicaRepository.declareCorrupt(manager, found, ROOT_ISSUER.account);
  await appendEvents(
    manager,
    declared
      .filter((d) => d.state === BadReplicaState.BAD)
      .map((d) => tarnEvent('replica.bad', { scope: d.scope, name: d.name, rse: d.rse, rseId: d.rseId, reason: d.reason })),
  );
  return declared;
}

/** How far back declarations of suspicion count (Rucio: 10 days). */
export const SUSPICIOUS_WINDOW_MS = 10 * 24 * 3600 * 1000;

/** Declarations of suspicion within SUSPICIOUS_WINDOW_MS that make a replica with another copy BAD (configs replicas/suspicious_threshold). */
export const DEFAULT_SUSPICIOUS_THRESHOLD = 5;

/**
 * Up to `limit` replicas declared SUSPICIOUS at least `replicas/suspicious_threshold` times in the window, with another
 * AVAILABLE copy, declared BAD (by root) within the caller's transaction, so that the recovery re-copies them (as
 * Rucio's replica-recoverer does). The only copy of a file is never declared BAD this way. Returns how many.
 */
export async function declareOftenSuspiciousBad(manager: EntityManager, limit: number): Promise<number> {
  const configured = Number(await ruleRepository.config(manager, 'replicas', 'suspicious_threshold'));
  const threshold = Number.isInteger(configured) && configured >= 1 ? configured : DEFAULT_SUSPICIOUS_THRESHOLD;
  const since = new Date(Date.now() - SUSPICIOUS_WINDOW_MS);
  const often = await badReplicaRepository.suspicious(manager, { since, minCount: threshold - 1, rseIds: null, excludeScopes: [], recoverableOnly: true, limit });
  const declared = await declareCorruptReplicas(
    manager,
    often.map((r) => ({ scope: r.scope, name: r.name, rseId: r.rseId, reason: `declared suspicious ${r.count} times since ${since.toISOString().slice(0, 10)}` })),
  );
  return declared.filter((d) => d.state === BadReplicaState.BAD).length;
}
