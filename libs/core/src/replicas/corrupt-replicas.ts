import { EntityManager } from 'typeorm';
import { appendEvents, tarnEvent } from '@tarn/events';
import { BadReplicaState } from '@tarn/domain';
import { badReplicaRepository, type CorruptReplica, type DeclaredCorrupt } from '@tarn/catalogue/repositories/bad-replica.repository.js';
import { lockReplicaRows, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
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
