import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { formatDid } from '@tarn/domain';
import { appendEvents, beginOutboxWrites, outboxColumns } from '@tarn/events';
import type { EntityManager } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { badReplicaRecoveryRepository, badReplicaRepository, type LockStateChange } from '@tarn/catalogue/repositories/bad-replica.repository.js';
import {
  type PendingVerification,
  replicaVerificationRepository,
  type RseStorageProtocol,
  type VerificationOutcome,
} from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { applyLockProgress, type LockCounterDelta } from '../rules/rule-progress.js';
import { refreshLockReasons } from '../rules/lock-reasons.js';
import { type AvailableReplica, replicasBecameAvailable } from './mark-replicas-available.js';
import { mapBounded } from '../bounded.js';
import { checkReplicaOnStorage, StoragePool } from './replica-storage-check.js';
import { declareOftenSuspiciousBad } from './corrupt-replicas.js';

export interface VerifySettings {
  /** Checks taken per batch (default 1,000). */
  batchSize?: number;
  /** Storage operations at once (default 32). */
  concurrency?: number;
  /** A taken check is due again after this long if the registrar dies (default 600 s). */
  leaseSeconds?: number;
}

export interface VerifyLoopSettings extends VerifySettings {
  /** At most this many batches in one call (default: while full batches come). */
  maxBatches?: number;
  /** Stops taking new batches once aborted (the batches in hand are finished). */
  signal?: AbortSignal;
}

export interface VerifyResult {
  checked: number;
  available: number;
  bad: number;
  /** Replicas an upload announced and never wrote, that no rule needs: UNAVAILABLE, for the reaper. */
  dropped: number;
  postponed: number;
  /** Reasons of the bad, dropped and postponed ones, for the log (at most 100). */
  problems: Array<{ did: string; rseId: string; verdict: 'bad' | 'retry' | 'drop'; reason: string }>;
  /** The last batch taken was full: more may be due. */
  more: boolean;
}

const DEFAULT_BATCH = 1000;
const DEFAULT_CONCURRENCY = 32;
const MAX_PROBLEMS = 100;

export interface RecoverResult {
  /** Bad replicas queued for a re-copy from another replica. */
  requeued: number;
  /** Bad replicas with no other copy: their locks are STUCK. */
  lost: number;
}

/**
 * Records checked verifications in the caller's transaction, as the registrar does: one statement for the batch
 * (verified replicas AVAILABLE, mismatches BAD), then the locks, transfers and rules waiting for the verified ones
 * and their replica.available. Returns the replicas made AVAILABLE.
 */
export async function recordVerifications(manager: EntityManager, outcomes: readonly VerificationOutcome[]): Promise<AvailableReplica[]> {
  await beginOutboxWrites(manager);
  const changed = await replicaVerificationRepository.record(manager, sortReplicaKeys([...outcomes]), outboxColumns('replica.bad'));
  await replicasBecameAvailable(manager, changed, changed);
  await refreshLockReasons(manager, outcomes.filter((o) => o.verdict !== 'ok'));
  return changed;
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
   * bounded concurrency, then recorded in one transaction (one statement for the batch: verified replicas become
   * AVAILABLE; then the locks, transfers and rule counters waiting for them, and replica.available).
   */
  async verifyDue(settings: VerifySettings = {}): Promise<VerifyResult> {
    return this.verifyWhileDue({ ...settings, maxBatches: 1 });
  }

  /**
   * Batches of due checks while full batches come (or up to `maxBatches`), pipelined: the next batch is leased
   * while one is checked on storage, and a checked batch is recorded while the next is checked. Each batch is its
   * own lease and its own recording transaction, as with verifyDue.
   */
  async verifyWhileDue(settings: VerifyLoopSettings = {}): Promise<VerifyResult> {
    const batchSize = settings.batchSize ?? DEFAULT_BATCH;
    const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
    const leaseSeconds = settings.leaseSeconds ?? 600;
    const maxBatches = settings.maxBatches ?? Number.POSITIVE_INFINITY;
    const result: VerifyResult = { checked: 0, available: 0, bad: 0, dropped: 0, postponed: 0, problems: [], more: false };
    const lease = () =>
      unitOfWork(this.dataSource, { what: 'replica verification lease' }, (manager) => replicaVerificationRepository.lease(manager, batchSize, leaseSeconds));
    const pool = new StoragePool();
    const protocols = new Map<string, RseStorageProtocol[]>();
    // Promises awaited later get a handler now: a rejection while the next stage runs must not count as unhandled.
    const handled = <T>(promise: Promise<T>): Promise<T> => {
      promise.catch(() => undefined);
      return promise;
    };
    let recording: Promise<void> = Promise.resolve();
    let next: Promise<PendingVerification[]> | null = handled(lease());
    try {
      for (let batches = 1; next; batches++) {
        const leased: PendingVerification[] = await next;
        result.checked += leased.length;
        result.more = leased.length === batchSize;
        next = result.more && batches < maxBatches && !settings.signal?.aborted ? handled(lease()) : null;
        if (leased.length === 0) break;
        await this.loadProtocols(protocols, leased);
        const outcomes = await mapBounded(leased, concurrency, (pending) => checkReplicaOnStorage(pending, protocols.get(pending.rseId) ?? [], pool));
        await recording;
        recording = handled(this.record(outcomes, result));
      }
      await recording;
    } finally {
      // A batch leased ahead but left unchecked (an error above) is due again when its lease ends.
      await Promise.allSettled([recording, next ?? Promise.resolve()]);
      await pool.close();
    }
    return result;
  }

  /** Records one checked batch (one transaction) and adds it to `result`. */
  private async record(outcomes: VerificationOutcome[], result: VerifyResult): Promise<void> {
    const sorted = sortReplicaKeys(outcomes);
    const available = await unitOfWork(this.dataSource, { what: `verification of ${sorted.length} replica(s)` }, (manager) => recordVerifications(manager, sorted));
    result.available += available.length;
    for (const o of sorted) {
      if (o.verdict === 'ok') continue;
      if (o.verdict === 'bad') result.bad++;
      else if (o.verdict === 'drop') result.dropped++;
      else result.postponed++;
      if (result.problems.length < MAX_PROBLEMS) result.problems.push({ did: formatDid(o), rseId: o.rseId, verdict: o.verdict, reason: o.reason ?? '' });
    }
  }

  /**
   * One batch of bad replicas: those with an AVAILABLE copy elsewhere are queued for a re-copy (their locks
   * REPLICATING again); those without lose their locks to STUCK ("lost: no other replica of <did>"). Replicas
   * declared suspicious often enough (declareOftenSuspiciousBad) are declared BAD first. One transaction, set-based.
   */
  async recoverBad(batchSize = 200): Promise<RecoverResult> {
    return unitOfWork(this.dataSource, { what: 'bad replica recovery' }, async (manager) => {
      await declareOftenSuspiciousBad(manager, batchSize);
      const bad = await badReplicaRecoveryRepository.claim(manager, batchSize);
      if (bad.length === 0) return { requeued: 0, lost: 0 };
      await beginOutboxWrites(manager);
      const recoverable = bad.filter((b) => b.sources.length > 0);
      const lost = bad
        .filter((b) => b.sources.length === 0)
        .map((b) => ({
          ...b,
          error:
            `lost: no other replica of ${formatDid(b)}; the one on ${b.rse} is BAD (${b.reason ?? 'no reason recorded'}). ` +
            'Upload the file again, or register a good copy, to repair it',
        }));
      const requeued = await badReplicaRecoveryRepository.requeue(manager, recoverable, outboxColumns('transfer.queued'));
      const stuck = await badReplicaRecoveryRepository.markLost(manager, lost, outboxColumns('replica.lost'));
      await refreshLockReasons(manager, recoverable);
      const deltas: LockCounterDelta[] = [
        ...requeued.map((c: LockStateChange) => ({ ruleId: c.ruleId, ok: -c.fromOk, replicating: c.fromOk + c.fromStuck, stuck: -c.fromStuck })),
        ...stuck.map((c: LockStateChange) => ({ ruleId: c.ruleId, ok: -c.fromOk, replicating: -c.fromReplicating, stuck: c.fromOk + c.fromReplicating })),
      ];
      await appendEvents(manager, await applyLockProgress(manager, deltas));
      return { requeued: recoverable.length, lost: lost.length };
    });
  }

  /** Replicas whose temporary unavailability is over become AVAILABLE again (one batch); returns how many. */
  async restoreTemporarilyUnavailable(batchSize = 1000, now = new Date()): Promise<number> {
    return unitOfWork(this.dataSource, { what: 'end of temporary unavailability' }, async (manager) =>
      (await badReplicaRepository.restoreExpiredUnavailable(manager, now, batchSize)).length,
    );
  }

  /** Adds the storage protocols of the batch's RSEs not yet known. */
  private async loadProtocols(known: Map<string, RseStorageProtocol[]>, leased: readonly PendingVerification[]): Promise<void> {
    const missing = [...new Set(leased.map((l) => l.rseId))].filter((id) => !known.has(id));
    if (missing.length === 0) return;
    for (const id of missing) known.set(id, []);
    for (const row of await replicaVerificationRepository.storageProtocols(this.dataSource.manager, missing)) known.get(row.rseId)!.push(row);
  }
}
