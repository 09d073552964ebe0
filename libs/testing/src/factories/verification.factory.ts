import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { replicaVerificationRepository } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { recordVerifications } from '@tarn/core/replicas/replica-registrar.service.js';

/**
 * Records every queued verification as passed, as the replica-registrar does after a successful check on the
 * storage (same statements: replicas AVAILABLE, locks and rules settled, replica.available), without reading the
 * storage: for tests of other concerns whose RSEs have no reachable storage. test/registrar checks real storage.
 * Returns the number of replicas made AVAILABLE.
 */
export async function passQueuedVerifications(dataSource: DataSource): Promise<number> {
  const pending = await unitOfWork(dataSource, { what: 'test verifications' }, (manager) => replicaVerificationRepository.lease(manager, 100_000, 600));
  const ok = await unitOfWork(dataSource, { what: 'test verifications' }, (manager) =>
    recordVerifications(
      manager,
      pending.map((p) => ({ scope: p.scope, name: p.name, rseId: p.rseId, verdict: 'ok' as const })),
    ),
  );
  return ok.length;
}
