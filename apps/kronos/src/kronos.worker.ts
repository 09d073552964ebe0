import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import type { TraceService } from '@tarn/core/traces/trace.service.js';

export const KRONOS = 'kronos';

export interface KronosSettings {
  intervalMs: number;
  /** Traces applied per transaction (TARN_KRONOS_BATCH, default 10,000). */
  batchSize: number;
  /** A pass stops starting batches after this long (default 5 s). */
  passBudgetMs: number;
}

/**
 * Applies client traces in batches, as Rucio's kronos does: the last access of the replicas and DIDs read (the reaper
 * deletes the least recently used first), and lifetimes extended on access where configured. Instances share the
 * queue (SKIP LOCKED); a batch is applied and removed in one transaction, so a kill loses nothing.
 */
export class KronosWorker implements DaemonDefinition {
  readonly name = KRONOS;
  readonly intervalMs: number;

  constructor(
    private readonly traces: TraceService,
    private readonly settings: KronosSettings,
  ) {
    this.intervalMs = settings.intervalMs;
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const deadline = Date.now() + this.settings.passBudgetMs;
    const total = { traces: 0, replicas: 0, dids: 0, extended: 0 };
    let full = false;
    do {
      const applied = await this.traces.applyBatch(this.settings.batchSize);
      for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += applied[key];
      full = applied.traces >= this.settings.batchSize;
    } while (full && !ctx.stopping && Date.now() < deadline);
    if (total.traces > 0) {
      ctx.logger.log(
        `${total.traces} trace(s) applied: ${total.replicas} replica(s) and ${total.dids} DID(s) marked read` +
          `${total.extended ? `, ${total.extended} DID lifetime(s) extended` : ''}`,
      );
    }
    return { didWork: full, items: total.traces };
  }
}
