import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { formatDid } from '@tarn/domain';
import { appendEvents, EVENT_TOPICS, EVENT_VERSIONS, type EventType, OUTBOX_CHANNEL } from '@tarn/events';
import type { EntityManager } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { badReplicaRecoveryRepository, type LockStateChange } from '@tarn/catalogue/repositories/bad-replica.repository.js';
import { replicaVerificationRepository, type RseStorageProtocol, type VerificationOutcome } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import type { OutboxColumns } from '@tarn/catalogue/repositories/replica.repository.js';
import { applyLockProgress, type LockCounterDelta } from '../rules/rule-progress.js';
import { markReplicasAvailable } from './mark-replicas-available.js';
import { checkReplicaOnStorage, mapConcurrent, StoragePool } from './replica-storage-check.js';

export const outboxColumns = (type: EventType): OutboxColumns => ({ topic: EVENT_TOPICS[type], eventType: type, version: EVENT_VERSIONS[type] });

/**
 * Before a statement writes outbox rows itself: the transaction takes its id before the rows draw theirs (the
 * PostgreSQL bus relies on it, see appendEvents) and wakes the event bus at commit.
 */
export async function beginOutboxWrites(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_current_xact_id(), pg_notify('${OUTBOX_CHANNEL}', '')`);
}

export interface VerifySettings {
  /** Checks taken per pass (default 200). */
  batchSize?: number;
  /** Storage operations at once (default 8). */
  concurrency?: number;
  /** A taken check is due again after this long if the registrar dies (default 600 s). */
  leaseSeconds?: number;
}

export interface VerifyResult {
  checked: number;
  available: number;
  bad: number;
  postponed: number;
  /** Reasons of the bad and postponed ones, for the log. */
  problems: Array<{ did: string; rseId: string; verdict: 'bad' | 'retry'; reason: string }>;
}

export interface RecoverResult {
  /** Bad replicas queued for a re-copy from another replica. */
  requeued: number;
  /** Bad replicas with no other copy: their locks are STUCK. */
  lost: number;
}

/**
 * The replica-registrar's work: announced replicas (upload, registration, state AVAILABLE) are checked on their
 * storage before they become AVAILABLE; bad replicas are re-copied from another replica, or declared lost.
 */
@Injectable()
export class ReplicaRegistrarService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * One batch of due checks: leased in a short transaction, checked on storage outside any transaction with
   * bounded concurrency, then recorded in one transaction (one statement for the batch, then
   * markReplicasAvailable for the verified ones: locks, transfers, rule counters, replica.available).
   */
  async verifyDue(settings: VerifySettings = {}): Promise<VerifyResult> {
    const leased = await unitOfWork(this.dataSource, { what: 'replica verification lease' }, (manager) =>
      replicaVerificationRepository.lease(manager, settings.batchSize ?? 200, settings.leaseSeconds ?? 600),
    );
    const result: VerifyResult = { checked: leased.length, available: 0, bad: 0, postponed: 0, problems: [] };
    if (leased.length === 0) return result;
    const protocols = await this.protocolsByRse([...new Set(leased.map((l) => l.rseId))]);
    const pool = new StoragePool();
    let outcomes: VerificationOutcome[];
    try {
      outcomes = await mapConcurrent(leased, settings.concurrency ?? 8, (pending) => checkReplicaOnStorage(pending, protocols.get(pending.rseId) ?? [], pool));
    } finally {
      await pool.close();
    }
    const verified = await unitOfWork(this.dataSource, { what: `verification of ${leased.length} replica(s)` }, async (manager) => {
      await beginOutboxWrites(manager);
      const ok = await replicaVerificationRepository.record(manager, outcomes, outboxColumns('replica.bad'));
      await markReplicasAvailable(manager, ok);
      return ok.length;
    });
    result.available = verified;
    for (const o of outcomes) {
      if (o.verdict === 'ok') continue;
      if (o.verdict === 'bad') result.bad++;
      else result.postponed++;
      result.problems.push({ did: formatDid(o), rseId: o.rseId, verdict: o.verdict, reason: o.reason ?? '' });
    }
    return result;
  }

  /**
   * One batch of bad replicas: those with an AVAILABLE copy elsewhere are queued for a re-copy (their locks
   * REPLICATING again); those without lose their locks to STUCK ("lost: no other replica of <did>"). One
   * transaction, set-based.
   */
  async recoverBad(batchSize = 200): Promise<RecoverResult> {
    return unitOfWork(this.dataSource, { what: 'bad replica recovery' }, async (manager) => {
      const bad = await badReplicaRecoveryRepository.claim(manager, batchSize);
      if (bad.length === 0) return { requeued: 0, lost: 0 };
      await beginOutboxWrites(manager);
      const recoverable = bad.filter((b) => b.sources.length > 0);
      const lost = bad.filter((b) => b.sources.length === 0).map((b) => ({ ...b, error: `lost: no other replica of ${formatDid(b)}` }));
      const requeued = await badReplicaRecoveryRepository.requeue(manager, recoverable, outboxColumns('transfer.queued'));
      const stuck = await badReplicaRecoveryRepository.markLost(manager, lost, outboxColumns('replica.lost'));
      const deltas: LockCounterDelta[] = [
        ...requeued.map((c: LockStateChange) => ({ ruleId: c.ruleId, ok: -c.fromOk, replicating: c.fromOk + c.fromStuck, stuck: -c.fromStuck })),
        ...stuck.map((c: LockStateChange) => ({ ruleId: c.ruleId, ok: -c.fromOk, replicating: -c.fromReplicating, stuck: c.fromOk + c.fromReplicating })),
      ];
      await appendEvents(manager, await applyLockProgress(manager, deltas));
      return { requeued: recoverable.length, lost: lost.length };
    });
  }

  private async protocolsByRse(rseIds: string[]): Promise<Map<string, RseStorageProtocol[]>> {
    const rows = await replicaVerificationRepository.storageProtocols(this.dataSource.manager, rseIds);
    const byRse = new Map<string, RseStorageProtocol[]>();
    for (const row of rows) {
      const list = byRse.get(row.rseId) ?? [];
      list.push(row);
      byRse.set(row.rseId, list);
    }
    return byRse;
  }
}
