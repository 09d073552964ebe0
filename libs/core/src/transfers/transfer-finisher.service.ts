import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { transferFinisherRepository, type FinishedRequest } from '@tarn/catalogue/repositories/transfer-finisher.repository.js';
import { appendEvents } from '@tarn/events';
import { markReplicasAvailable } from '../replicas/mark-replicas-available.js';
import { LockReasonCode } from '@tarn/domain';
import { refreshLockReasons } from '../rules/lock-reasons.js';
import { applyLockProgress } from '../rules/rule-progress.js';
import { readTransferSettings } from './transfer-settings.js';
import { TRANSFER_TOOL, type TransferTool } from './transfer-tool.js';

export interface FinishOutcome {
  /** DONE transfers whose replica became AVAILABLE. */
  done: number;
  /** Failed attempts queued again after their backoff. */
  retried: number;
  /** Transfers that failed their last attempt: their locks are STUCK. */
  stuck: number;
  /** Transfers no lock needs any more, cancelled. */
  cancelled: number;
  /** The attempts finished (DONE, FAILED, NO_SOURCES), for metrics. */
  attempts: FinishedRequest[];
}

const UNNEEDED_SWEEP_MS = 60_000;

export const CANCELLED_REASON = 'cancelled: no rule needs this copy any more (its lock was removed)';

/**
 * The transfer finisher: DONE transfers make their replica AVAILABLE with its checksums (markReplicasAvailable:
 * locks OK, rule counters and state, events) and go to requests_history; FAILED (and NO_SOURCES) ones are
 * queued again with exponential backoff (the submitter then prefers another source) up to max_attempts, after
 * which their locks are STUCK with the reason (rule.stuck wakes the rule repairer); transfers whose locks were
 * deleted are cancelled and what they wrote is removed (a sweep once a minute). Each kind is one transaction per batch.
 */
@Injectable()
export class TransferFinisherService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TRANSFER_TOOL) private readonly tool: TransferTool,
  ) {}

  /**
   * The sweep for transfers no lock needs probes every active request; deleting or re-evaluating a rule cancels
   * its own transfers, so the sweep is a safety net run once a minute (and on the next pass while it finds a
   * full batch), not on every pass.
   */
  private nextSweep = 0;

  async finishBatch(batchSize = 1000): Promise<FinishOutcome> {
    let cancelled = 0;
    if (Date.now() >= this.nextSweep) {
      cancelled = await this.cancelUnneeded(batchSize);
      if (cancelled < batchSize) this.nextSweep = Date.now() + UNNEEDED_SWEEP_MS;
    }
    const attempts: FinishedRequest[] = [];
    const done = await this.finishDone(batchSize, attempts);
    const { retried, stuck } = await this.finishFailed(batchSize, attempts);
    return { done, retried, stuck, cancelled, attempts };
  }

  async cancelUnneeded(batchSize: number): Promise<number> {
    const cancelled = await unitOfWork(this.dataSource, { what: 'cancelling unneeded transfers' }, (manager) =>
      transferFinisherRepository.cancelUnneeded(manager, CANCELLED_REASON, batchSize),
    );
    // SUBMITTED or DONE ones may have left a (partial) file at the destination.
    await this.tool.cancel(cancelled.filter((c) => c.state === 'S' || c.state === 'D').map((c) => ({ id: c.id, scope: c.scope, name: c.name, destRseId: c.destRseId })));
    return cancelled.length;
  }

  /** `attempts` receives the requests finished, once their transaction committed. */
  async finishDone(batchSize: number, attempts: FinishedRequest[] = []): Promise<number> {
    const finished: FinishedRequest[] = [];
    const orphans: FinishedRequest[] = [];
    const done = await unitOfWork(this.dataSource, { what: 'finishing done transfers' }, async (manager) => {
      orphans.length = 0;
      finished.length = 0;
      const requests = await transferFinisherRepository.claim(manager, ['D'], batchSize);
      finished.push(...requests);
      if (requests.length === 0) return 0;
      const live = await transferFinisherRepository.completeReplicas(
        manager,
        requests.map((r) => ({ scope: r.scope, name: r.name, rseId: r.destRseId, adler32: r.adler32, md5: r.md5, path: r.destUrl })),
      );
      await markReplicasAvailable(manager, live);
      const kept = new Set(live.map((k) => `${k.scope}:${k.name}@${k.rseId}`));
      orphans.push(...requests.filter((r) => !kept.has(`${r.scope}:${r.name}@${r.destRseId}`)));
      await transferFinisherRepository.archive(manager, requests.map((r) => r.id), 'D');
      return requests.length;
    });
    attempts.push(...finished);
    // A copy whose replica row was deleted (or is being deleted) meanwhile belongs to nobody.
    await this.tool.cancel(orphans.map((o) => ({ id: o.id, scope: o.scope, name: o.name, destRseId: o.destRseId })));
    return done;
  }

  async finishFailed(batchSize: number, attempts: FinishedRequest[] = []): Promise<{ retried: number; stuck: number }> {
    const finished: FinishedRequest[] = [];
    const outcome = await unitOfWork(this.dataSource, { what: 'finishing failed transfers' }, async (manager) => {
      const settings = await readTransferSettings(manager);
      const requests = await transferFinisherRepository.claim(manager, ['F', '0'], batchSize);
      finished.length = 0;
      finished.push(...requests);
      if (requests.length === 0) return { retried: 0, stuck: 0 };
      // A last attempt that found no source goes again when a source became AVAILABLE since: it has one now.
      const sourced = await transferFinisherRepository.sourcedNow(manager, requests.filter((r) => r.state === '0').map((r) => r.id));
      const isFinal = (r: FinishedRequest) => r.retryCount + 1 >= settings.maxAttempts && !sourced.has(r.id);
      const retry = requests.filter((r) => !isFinal(r));
      const final = requests.filter(isFinal);
      await transferFinisherRepository.requeue(
        manager,
        retry.map((r) => r.id),
        { baseSeconds: settings.backoffBaseSeconds, maxSeconds: settings.backoffMaxSeconds },
      );
      await refreshLockReasons(manager, retry.map((r) => ({ scope: r.scope, name: r.name, rseId: r.destRseId })));
      if (final.length > 0) {
        const perRule = await transferFinisherRepository.stickLocks(
          manager,
          final.map((r) => ({
            scope: r.scope,
            name: r.name,
            rseId: r.destRseId,
            error: `transfer failed ${r.retryCount + 1} time(s), last: ${r.error ?? 'no reason recorded'}`,
            reason: {
              code: r.state === '0' ? LockReasonCode.NO_SOURCE : LockReasonCode.TRANSFER_FAILED,
              text: `attempt ${r.retryCount + 1} of ${settings.maxAttempts} failed: ${r.error ?? 'no reason recorded'}; the rule-repairer retries it later`,
            },
          })),
        );
        await appendEvents(manager, await applyLockProgress(manager, perRule.map((p) => ({ ruleId: p.ruleId, ok: 0, replicating: -p.stuck, stuck: p.stuck }))));
        await transferFinisherRepository.archive(manager, final.map((r) => r.id), 'F');
      }
      return { retried: retry.length, stuck: final.length };
    });
    attempts.push(...finished);
    return outcome;
  }
}
