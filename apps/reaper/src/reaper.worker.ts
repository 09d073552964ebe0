import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { ReaperService } from '@tarn/core/reaper/reaper.service.js';
import type { ReaperMetrics } from '@tarn/core/reaper/reaper.metrics.js';
import { settleBounded } from '@tarn/core/bounded.js';
import type { ReaperWorkerSettings } from './reaper.config.js';

export const REAPER = 'reaper';

/**
 * Deletes tombstoned replicas (ReaperService), several RSEs at once. Deleted and expired rules (which leave
 * tombstones behind) wake it; otherwise it sweeps every `intervalMs`. Instances share the work: claims use
 * SKIP LOCKED, and each RSE's space arithmetic is serialised by an advisory lock.
 */
export class ReaperWorker implements DaemonDefinition {
  readonly name = REAPER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: ReaperService,
    bus: EventBus | null,
    private readonly settings: ReaperWorkerSettings,
    private readonly metrics: ReaperMetrics | null,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: REAPER, topics: [TOPICS.rule], types: ['rule.deleted', 'rule.expired'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const rses = await this.service.reapableRses(this.settings);
    let deleted = 0;
    let failed = 0;
    let more = false;
    const outcomes = await settleBounded(rses, this.settings.rseConcurrency, async (rse) => {
      const result = await this.service.reapRse(rse, this.settings, { signal: ctx.signal, metrics: this.metrics, logger: ctx.logger });
      deleted += result.deleted;
      failed += result.failed;
      more ||= result.more;
      if (result.deleted > 0 || result.failed > 0) {
        ctx.logger.log(`${rse.rse}: ${result.deleted} replica(s) deleted (${result.bytes} bytes)${result.failed ? `, ${result.failed} failed (retried later)` : ''}`);
      }
    });
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        failed++;
        ctx.logger.error(`reaping on ${rses[i].rse} failed: ${outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)}`);
      }
    });
    return { didWork: more, items: deleted, failedItems: failed };
  }
}
