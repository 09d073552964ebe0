import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { TransferWorkerService } from '@tarn/core/transfers/transfer-worker.service.js';
import type { TransferWorkerSettings } from './transfer-worker.config.js';

export const TRANSFER_WORKER = 'transfer-worker';

/**
 * The built-in transfer tool: copies SUBMITTED transfers (TransferWorkerService: leased, streamed and verified,
 * bounded concurrency) and reports DONE or FAILED. transfer.submitted events wake it; otherwise it sweeps every
 * `intervalMs` (also taking over the transfers of workers that died, once their leases expired).
 */
export class TransferWorkerWorker implements DaemonDefinition {
  readonly name = TRANSFER_WORKER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: TransferWorkerService,
    bus: EventBus | null,
    private readonly settings: TransferWorkerSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: TRANSFER_WORKER, topics: [TOPICS.transfer], types: ['transfer.submitted'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const outcome = await this.service.runBatch({ limit: this.settings.batchSize, concurrency: this.settings.concurrency, logger: ctx.logger });
    if (outcome.failed > 0) ctx.logger.warn(`${outcome.failed} of ${outcome.taken} transfer(s) failed (the finisher retries them)`);
    return { didWork: outcome.taken > 0, items: outcome.done + outcome.failed };
  }
}
