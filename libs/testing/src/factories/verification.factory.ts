import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { replicaVerificationRepository } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { beginOutboxWrites, outboxColumns } from '@tarn/core/replicas/replica-registrar.service.js';

/**
 * Records every queued verification as passed, as the replica-registrar does after a successful check on the
 * storage (same statements: replicas AVAILABLE, locks and rules settled, replica.available), without reading the
 * storage: for tests of other concerns whose RSEs have no reachable storage. test/registrar checks real storage.
 * Returns the number of replicas made AVAILABLE.
 */
export async function passQueuedVerifications(dataSource: DataSource): Promise<number> {
  const pending = await unitOfWork(dataSource, { what: 'test verifications' }, (manager) => replicaVerificationRepository.lease(manager, 100_000, 600));
  return unitOfWork(dataSource, { what: 'test verifications' }, async (manager) => {
    await beginOutboxWrites(manager);
    const ok = await replicaVerificationRepository.record(
      manager,
      pending.map((p) => ({ scope: p.scope, name: p.name, rseId: p.rseId, verdict: 'ok' as const })),
      outboxColumns('replica.bad'),
    );
    await markReplicasAvailable(manager, ok);
    return ok.length;
  });
}
