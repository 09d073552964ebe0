import { Counter, type Registry } from 'prom-client';
import type { HookRunView } from './hook.types.js';

/** Ingestion hooks' runs by final state and the files they handled, per hook (Prometheus; hook names, never files). */
export class HookMetrics {
  readonly runs: Counter<'hook' | 'state'>;
  readonly files: Counter<'hook' | 'outcome'>;
  readonly bytes: Counter<'hook'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs =
      (registry.getSingleMetric('tarn_hook_runs_total') as Counter<'hook' | 'state'> | undefined) ??
      new Counter({ name: 'tarn_hook_runs_total', help: 'Runs of the ingestion hook, by final state (DONE, FAILED)', labelNames: ['hook', 'state'], registers });
    this.files =
      (registry.getSingleMetric('tarn_hook_files_total') as Counter<'hook' | 'outcome'> | undefined) ??
      new Counter({
        name: 'tarn_hook_files_total',
        help: 'Files the ingestion hook handled, by outcome (registered, skipped: already in, failed)',
        labelNames: ['hook', 'outcome'],
        registers,
      });
    this.bytes =
      (registry.getSingleMetric('tarn_hook_registered_bytes_total') as Counter<'hook'> | undefined) ??
      new Counter({ name: 'tarn_hook_registered_bytes_total', help: 'Bytes of the files the ingestion hook registered', labelNames: ['hook'], registers });
  }

  record(hook: string, run: Pick<HookRunView, 'state' | 'filesRegistered' | 'filesSkipped' | 'filesFailed' | 'bytesRegistered'>): void {
    this.runs.inc({ hook, state: run.state });
    this.files.inc({ hook, outcome: 'registered' }, run.filesRegistered);
    this.files.inc({ hook, outcome: 'skipped' }, run.filesSkipped);
    this.files.inc({ hook, outcome: 'failed' }, run.filesFailed);
    this.bytes.inc({ hook }, run.bytesRegistered);
  }
}
