import { Counter, Histogram, type Registry } from 'prom-client';
import type { FinishedRequest } from '@tarn/catalogue/repositories/transfer-finisher.repository.js';
import { transferFailureClass } from '@tarn/domain';
import type { SubmittedLink } from './transfer-submitter.service.js';

type Link = 'src_rse' | 'dst_rse';

/** Where a metric is already registered (one process may run several finishers), that one; else a new one. */
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Transfers per link (source RSE, destination RSE) (Prometheus): attempts submitted, as the submitter hands them to the
 * transfer tool; their outcomes as the finisher sees them: done and failed by reason class, bytes and durations of the
 * copies done. An unknown source is `src_rse="none"`.
 */
export class TransferMetrics {
  readonly submitted: Counter<Link>;
  readonly done: Counter<Link>;
  readonly failed: Counter<Link | 'reason'>;
  readonly doneBytes: Counter<Link>;
  readonly bytes: Histogram<Link>;
  readonly duration: Histogram<Link>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames: Link[] = ['src_rse', 'dst_rse'];
    this.submitted = once(registry, 'tarn_transfers_submitted_total', () =>
      new Counter({ name: 'tarn_transfers_submitted_total', help: 'Transfer attempts submitted to the transfer tool, per link', labelNames, registers }),
    );
    this.done = once(registry, 'tarn_transfers_done_total', () =>
      new Counter({ name: 'tarn_transfers_done_total', help: 'Transfer attempts that ended DONE, per link', labelNames, registers }),
    );
    this.failed = once(registry, 'tarn_transfers_failed_total', () =>
      new Counter({
        name: 'tarn_transfers_failed_total',
        help: 'Transfer attempts that failed (retried or, after the last, the lock STUCK), per link and reason class',
        labelNames: [...labelNames, 'reason'],
        registers,
      }),
    );
    this.doneBytes = once(registry, 'tarn_transfer_bytes_total', () =>
      new Counter({ name: 'tarn_transfer_bytes_total', help: 'Bytes of the transfers done, per link', labelNames, registers }),
    );
    this.bytes = once(registry, 'tarn_transfer_size_bytes', () =>
      new Histogram({
        name: 'tarn_transfer_size_bytes',
        help: 'Size of the files of the transfers done, per link',
        labelNames,
        buckets: [1e3, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11],
        registers,
      }),
    );
    this.duration = once(registry, 'tarn_transfer_duration_seconds', () =>
      new Histogram({
        name: 'tarn_transfer_duration_seconds',
        help: 'From submission to the end of the copy, for the transfers done, per link',
        labelNames,
        buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400],
        registers,
      }),
    );
  }

  recordSubmitted(links: readonly SubmittedLink[]): void {
    for (const l of links) this.submitted.inc({ src_rse: l.src, dst_rse: l.dst }, l.count);
  }

  record(attempts: readonly FinishedRequest[]): void {
    for (const a of attempts) {
      const link = { src_rse: a.sourceRse ?? 'none', dst_rse: a.destRse ?? 'none' };
      if (a.state === 'D') {
        this.done.inc(link);
        this.doneBytes.inc(link, a.bytes);
        this.bytes.observe(link, a.bytes);
        if (a.durationSeconds !== null) this.duration.observe(link, a.durationSeconds);
      } else {
        this.failed.inc({ ...link, reason: transferFailureClass(a.error, a.state === '0') });
      }
    }
  }
}
