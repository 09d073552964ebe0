import type { EntityManager } from 'typeorm';
import { type LockReasonSettings, replicatingLockReason } from '@tarn/domain';
import { lockReasonRepository } from '@tarn/catalogue/repositories/lock-reason.repository.js';
import type { ReplicaKey } from '@tarn/catalogue/repositories/replica.repository.js';
import { readTransferSettings } from '../transfers/transfer-settings.js';

async function settings(manager: EntityManager): Promise<LockReasonSettings> {
  return { maxAttempts: (await readTransferSettings(manager)).maxAttempts, now: new Date() };
}

/**
 * Brings the reasons of the REPLICATING locks on these replicas (file and RSE) up to date with what their transfer,
 * replica and pending check say now, in the caller's transaction: one statement reads the facts for the batch, one
 * writes the reasons that changed. Every daemon that changes what a lock waits for calls it for the replicas it
 * touched; STUCK locks get their reason from whoever makes them STUCK.
 */
export async function refreshLockReasons(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<void> {
  if (keys.length === 0) return;
  const facts = await lockReasonRepository.waitFacts(manager, keys);
  if (facts.length === 0) return;
  const current = await settings(manager);
  await lockReasonRepository.writeReplicating(
    manager,
    facts.map((f) => ({ scope: f.scope, name: f.name, rseId: f.rseId, ...replicatingLockReason(f, current) })),
  );
}
