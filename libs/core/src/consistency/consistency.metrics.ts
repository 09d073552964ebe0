import { Counter, Gauge, type Registry } from 'prom-client';

/** Per-RSE results of the consistency checker (Prometheus). */
export class ConsistencyMetrics {
  readonly runs: Counter<'rse' | 'outcome'>;
  readonly dark: Counter<'rse'>;
  readonly quarantined: Counter<'rse'>;
  readonly darkDeleted: Counter<'rse'>;
  readonly temporariesDeleted: Counter<'rse'>;
  readonly missing: Counter<'rse'>;
  readonly lastRun: Gauge<'rse'>;
  readonly lastDark: Gauge<'rse'>;
  readonly lastMissing: Gauge<'rse'>;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
    const gauge = (name: string, help: string): Gauge<'rse'> =>
      (registry.getSingleMetric(name) as Gauge<'rse'> | undefined) ?? new Gauge({ name, help, labelNames: ['rse'], registers: [registry] });
    this.runs = counter('tarn_auditor_runs_total', 'Audits of an RSE, by outcome (done, failed)', ['rse', 'outcome']);
    this.dark = counter('tarn_auditor_dark_files_total', 'Dark files (on storage, unknown to the catalogue) found, per RSE and run', ['rse']);
    this.quarantined = counter('tarn_auditor_quarantined_total', 'Dark files newly quarantined, per RSE', ['rse']);
    this.darkDeleted = counter('tarn_auditor_dark_deleted_total', 'Quarantined dark files deleted from storage, per RSE', ['rse']);
    this.temporariesDeleted = counter('tarn_auditor_temporaries_deleted_total', 'Temporary files left by killed writes deleted from storage, per RSE', ['rse']);
    this.missing = counter('tarn_auditor_missing_replicas_total', 'AVAILABLE replicas missing on storage, declared bad, per RSE', ['rse']);
    this.lastRun = gauge('tarn_auditor_last_run_timestamp_seconds', 'When the last audit of the RSE finished (Unix time)');
    this.lastDark = gauge('tarn_auditor_last_dark_files', 'Dark files found by the last audit of the RSE');
    this.lastMissing = gauge('tarn_auditor_last_missing_replicas', 'Missing replicas found by the last audit of the RSE');
  }
}
