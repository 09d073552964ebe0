import { Counter, type Registry } from 'prom-client';

/** Per-RSE deletion counters of the reaper (Prometheus). */
export class ReaperMetrics {
  readonly deletions: Counter<'rse'>;
  readonly deletedBytes: Counter<'rse'>;
  readonly failures: Counter<'rse'>;
  readonly kept: Counter<'rse'>;

  constructor(registry: Registry) {
    const counter = (name: string, help: string): Counter<'rse'> =>
      (registry.getSingleMetric(name) as Counter<'rse'> | undefined) ?? new Counter({ name, help, labelNames: ['rse'], registers: [registry] });
    this.deletions = counter('tarn_reaper_deletions_total', 'Replicas the reaper deleted, per RSE');
    this.deletedBytes = counter('tarn_reaper_deleted_bytes_total', 'Bytes the reaper freed, per RSE');
    this.failures = counter('tarn_reaper_deletion_failures_total', 'Storage deletions that failed (retried later), per RSE');
    this.kept = counter('tarn_reaper_files_kept_total', 'Replicas removed without deleting their file, which another replica references, per RSE');
  }
}
