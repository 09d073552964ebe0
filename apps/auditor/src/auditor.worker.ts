import type { DaemonContext, DaemonControl, DaemonDefinition, PassResult } from '@tarn/daemon';
import { OnceLog } from '@tarn/daemon';
import { type Logger, silentLogger } from '@tarn/events';
import type { AuditableRse } from '@tarn/catalogue/repositories/consistency.repository.js';
import type { AuditResult, ConsistencyService } from '@tarn/core/consistency/consistency.service.js';
import type { ConsistencyMetrics } from '@tarn/core/consistency/consistency.metrics.js';
import type { StorageUsageService } from '@tarn/core/accounting/storage-usage.service.js';
import type { StorageUsageMetrics } from '@tarn/core/accounting/storage-usage.metrics.js';
import type { AuditorWorkerSettings } from './auditor.config.js';

export const AUDITOR = 'auditor';

/**
 * The consistency checker (ConsistencyService): each pass refreshes the storage-reported usage of RSEs whose
 * figure is stale, then audits the RSEs due (at most once per rse_interval_hours each), `rsesPerPass` at a time,
 * passes following each other while RSEs are due. Instances share the RSEs: one auditor per RSE at a time
 * (a session advisory lock); the others skip it. `requestAudit` (or `--rse` on start) audits an RSE at the next
 * pass whatever its schedule.
 */
export class AuditorWorker implements DaemonDefinition {
  readonly name = AUDITOR;
  readonly intervalMs: number;
  private control: DaemonControl | null = null;
  private readonly requested: Set<string>;
  private readonly usageLog = new OnceLog();

  constructor(
    private readonly consistency: ConsistencyService,
    private readonly usage: StorageUsageService,
    private readonly settings: AuditorWorkerSettings,
    private readonly metrics: { consistency: ConsistencyMetrics; usage: StorageUsageMetrics } | null = null,
    private readonly logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.requested = new Set(settings.onDemand);
  }

  attach(control: DaemonControl): void {
    this.control = control;
  }

  /** On demand: audit `rse` at the next pass whatever its schedule (and wake the loop). */
  requestAudit(rse: string): void {
    this.requested.add(rse);
    this.control?.wake();
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    if (this.settings.usage.enabled) await this.refreshUsage(ctx);
    const settings = await this.consistency.settings(this.settings.audit);
    const forced = [...this.requested];
    this.requested.clear();
    const onDemand = forced.length > 0 ? await this.consistency.dueRses(settings, forced, true) : [];
    for (const missing of forced.filter((name) => !onDemand.some((r) => r.rse === name))) {
      ctx.logger.warn(`cannot audit RSE '${missing}': not found, deleted, or without a protocol`);
    }
    const due = (await this.consistency.dueRses(settings, this.settings.rses, false)).filter((r) => !forced.includes(r.rse));
    const now = [...onDemand, ...due.slice(0, this.settings.rsesPerPass)];
    let failed = 0;
    const outcome = await ctx.eachItem(
      now,
      async (rse) => {
        const result = await this.consistency.auditRse(rse, settings, { signal: ctx.signal, metrics: this.metrics?.consistency ?? null });
        if (!result) return ctx.logger.log(`${rse.rse}: another auditor is auditing it; skipped`);
        if (result.error) failed++;
        this.report(ctx, result);
      },
      (rse: AuditableRse) => `RSE '${rse.rse}'`,
    );
    return { didWork: due.length > this.settings.rsesPerPass, items: outcome.done - failed, failedItems: outcome.failed + failed };
  }

  private report(ctx: DaemonContext, r: AuditResult): void {
    const line =
      `${r.rse}: ${r.listed} file(s) listed; ${r.dark} dark (${r.quarantined} newly quarantined, ${r.released} released, ${r.deleted} deleted` +
      `${r.deleteFailures ? `, ${r.deleteFailures} deletion(s) failed` : ''}); ${r.missing} of ${r.eligible} replica(s) missing, ${r.declaredBad} declared bad` +
      `${r.temporariesDeleted ? `; ${r.temporariesDeleted} temporary file(s) of killed writes deleted` : ''}`;
    if (r.error) ctx.logger.error(`${line}; the audit failed: ${r.error}`);
    else ctx.logger.log(line);
  }

  private async refreshUsage(ctx: DaemonContext): Promise<void> {
    try {
      const outcomes = await this.usage.refresh(this.settings.usage, { rses: this.settings.rses, metrics: this.metrics?.usage ?? null });
      for (const o of outcomes) {
        if (!o.known && this.usageLog.first(`${o.rse}:${o.reason}`)) ctx.logger.log(`${o.rse}: the storage does not tell its space (${o.reason})`);
      }
    } catch (error) {
      ctx.logger.error(`storage usage refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async close(): Promise<void> {
    this.control = null;
    this.logger.log('auditor stopped');
  }
}
