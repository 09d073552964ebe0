import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { TransferFinisherService } from '@tarn/core/transfers/transfer-finisher.service.js';
import type { TransferMetrics } from '@tarn/core/transfers/transfer.metrics.js';

export const TRANSFER_FINISHER = 'transfer-finisher';

export interface TransferFinisherSettings {
  intervalMs: number;
  /** Requests of each kind (done, failed, cancelled) handled per pass at most (default 1000). */
  batchSize: number;
}

/**
 * Finishes transfers (TransferFinisherService: DONE -> replica AVAILABLE; FAILED -> retry with backoff, then
 * the lock STUCK; cancelled when no lock needs them). transfer.done / transfer.failed and rule.deleted events
 * wake it; otherwise it sweeps every `intervalMs`.
 */
export class TransferFinisherWorker implements DaemonDefinition {
  readonly name = TRANSFER_FINISHER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: TransferFinisherService,
    bus: EventBus | null,
    private readonly settings: TransferFinisherSettings,
    logger: Logger = silentLogger,
    private readonly metrics: TransferMetrics | null = null,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(
      bus,
      { group: TRANSFER_FINISHER, topics: [TOPICS.transfer, TOPICS.rule], types: ['transfer.done', 'transfer.failed', 'rule.deleted'] },
      logger,
    );
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const outcome = await this.service.finishBatch(this.settings.batchSize);
    this.metrics?.record(outcome.attempts);
    if (outcome.stuck > 0) ctx.logger.warn(`${outcome.stuck} transfer(s) failed their last attempt: their locks are STUCK`);
    const items = outcome.done + outcome.retried + outcome.stuck + outcome.cancelled;
    const full = [outcome.done, outcome.retried + outcome.stuck, outcome.cancelled].some((n) => n >= this.settings.batchSize);
    return { didWork: full, items };
  }
}
