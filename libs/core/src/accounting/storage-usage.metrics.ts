import { Gauge, type Registry } from 'prom-client';

/** RSE space as the storage reports it (Prometheus), set at each refresh. */
export class StorageUsageMetrics {
  readonly free: Gauge<'rse'>;
  readonly used: Gauge<'rse'>;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string): Gauge<'rse'> =>
      (registry.getSingleMetric(name) as Gauge<'rse'> | undefined) ?? new Gauge({ name, help, labelNames: ['rse'], registers: [registry] });
    this.free = gauge('tarn_rse_storage_free_bytes', 'Free bytes of the RSE as its storage reports them');
    this.used = gauge('tarn_rse_storage_used_bytes', 'Used bytes of the RSE as its storage reports them');
  }
}
