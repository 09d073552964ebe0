import type { DaemonContext, DaemonControl, DaemonDefinition, PassResult } from '@tarn/daemon';
import type { HookMetrics } from '@tarn/core/ingest/hook.metrics.js';
import type { HookRunner } from '@tarn/core/ingest/hook-runner.js';

export const INGESTER = 'ingester';

export interface IngesterSettings {
  /** TARN_INGESTER_INTERVAL_SECONDS: how often due hooks and "run now" requests are looked for (default 10). */
  intervalMs: number;
  /** TARN_INGESTER_BATCH: files per registration call (default 1,000). */
  batchSize: number;
  /** TARN_INGESTER_CONCURRENCY: uploads or checksum reads at once (default 4). */
  concurrency: number;
}

/**
 * Runs ingestion hooks when their cron tick comes (a tick missed while no ingester ran is caught up at once), or
 * when asked to ("run now"). Instances share the hooks: a hook runs in one instance at a time (advisory lock).
 * Besides its sweep, it wakes itself at the next tick of any hook.
 */
export class IngesterWorker implements DaemonDefinition {
  readonly name = INGESTER;
  readonly intervalMs: number;
  private control: DaemonControl | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runner: HookRunner,
    private readonly settings: IngesterSettings,
    private readonly metrics: HookMetrics | null = null,
  ) {
    this.intervalMs = settings.intervalMs;
  }

  attach(control: DaemonControl): void {
    this.control = control;
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const due = await this.runner.dueHooks();
    let items = 0;
    let ran = 0;
    const outcome = await ctx.eachItem(
      due,
      async (hook) => {
        const run = await this.runner.run(hook.id, { signal: ctx.signal, batchSize: this.settings.batchSize, concurrency: this.settings.concurrency });
        if (!run) return;
        ran++;
        items += run.filesRegistered;
        this.metrics?.record(hook.name, run);
        const failed = run.filesFailed > 0 ? `, ${run.filesFailed} failed (first: ${run.errors[0]?.error})` : '';
        const message = `hook ${hook.name} (${run.trigger.toLowerCase()}): ${run.state}, ${run.filesRegistered} registered, ${run.filesSkipped} already in${failed}`;
        if (run.state === 'FAILED') ctx.logger.error(`${message}: ${run.errors.at(-1)?.error}`);
        else ctx.logger.log(message);
      },
      (hook) => `hook ${hook.name}`,
    );
    await this.wakeAtNextTick();
    return { didWork: false, items: ran === 0 ? 0 : items, failedItems: outcome.failed };
  }

  private async wakeAtNextTick(): Promise<void> {
    if (!this.control) return;
    const next = await this.runner.nextTick();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!next) return;
    const delay = next.getTime() - Date.now();
    if (delay <= 0 || delay >= this.intervalMs) return;
    this.timer = setTimeout(() => this.control?.wake(), delay + 50);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
  }
}
