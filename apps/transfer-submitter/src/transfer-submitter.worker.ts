import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { TransferSubmitterService } from '@tarn/core/transfers/transfer-submitter.service.js';
import type { TransferMetrics } from '@tarn/core/transfers/transfer.metrics.js';

export const TRANSFER_SUBMITTER = 'transfer-submitter';

export interface TransferSubmitterSettings {
  intervalMs: number;
  /** Requests submitted per pass at most (default 1000). */
  batchSize: number;
}

/**
 * Submits QUEUED transfer requests (TransferSubmitterService: throttled, sources ranked, handed to the transfer
 * tool). transfer.queued events wake it, and so do transfer.done and transfer.failed, which free throttler slots
 * (requests held back by the throttler go at once, not at the next sweep); otherwise it sweeps every
 * `intervalMs` (retries whose backoff is over).
 */
export class TransferSubmitterWorker implements DaemonDefinition {
  readonly name = TRANSFER_SUBMITTER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: TransferSubmitterService,
    bus: EventBus | null,
    private readonly settings: TransferSubmitterSettings,
    logger: Logger = silentLogger,
    private readonly metrics: TransferMetrics | null = null,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: TRANSFER_SUBMITTER, topics: [TOPICS.transfer], types: ['transfer.queued', 'transfer.done', 'transfer.failed'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const outcome = await this.service.submitBatch(this.settings.batchSize);
    this.metrics?.recordSubmitted(outcome.links);
    if (outcome.unsourced > 0) ctx.logger.warn(`${outcome.unsourced} transfer(s) without a usable source (NO_SOURCES)`);
    const items = outcome.submitted + outcome.unsourced;
    return { didWork: items >= this.settings.batchSize, items };
  }
}
