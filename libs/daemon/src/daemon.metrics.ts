import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DaemonSummary } from './heartbeat.service.js';

/**
 * Prometheus metrics of the daemons: counters and durations of this process's passes, and from the
 * heartbeats table the liveness of every daemon of the deployment (`tarn_daemon_up` 0 once an instance
 * has been silent for 2 minutes).
 */
export class DaemonMetrics {
  readonly passes: Counter<'daemon'>;
  readonly items: Counter<'daemon'>;
  readonly errors: Counter<'daemon'>;
  readonly passDuration: Histogram<'daemon'>;
  private summarySource: (() => Promise<DaemonSummary[]>) | null = null;
  private cached: { at: number; value: Promise<DaemonSummary[]> } | null = null;
  private static processMetrics: DaemonMetrics | null = null;

  constructor(
    readonly registry: Registry = new Registry(),
    options: { processMetrics?: boolean } = {},
  ) {
    if (options.processMetrics) collectDefaultMetrics({ register: registry });
    const registers = [registry];
    this.passes = new Counter({ name: 'tarn_daemon_passes_total', help: 'Passes run by the daemon', labelNames: ['daemon'], registers });
    this.items = new Counter({ name: 'tarn_daemon_items_total', help: 'Items handled by the daemon', labelNames: ['daemon'], registers });
    this.errors = new Counter({
      name: 'tarn_daemon_errors_total',
      help: 'Failed passes and failed items of the daemon',
      labelNames: ['daemon'],
      registers,
    });
    this.passDuration = new Histogram({
      name: 'tarn_daemon_pass_duration_seconds',
      help: 'Duration of one pass of the daemon',
      labelNames: ['daemon'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'tarn_daemon_up',
      help: '1 if at least one instance of the daemon sent a heartbeat within the last 2 minutes, else 0',
      labelNames: ['daemon'],
      registers,
      async collect() {
        this.reset();
        for (const s of await self.summaries()) this.set({ daemon: s.daemon }, s.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tarn_daemon_last_heartbeat_age_seconds',
      help: 'Seconds since the freshest heartbeat of any instance of the daemon',
      labelNames: ['daemon'],
      registers,
      async collect() {
        this.reset();
        for (const s of await self.summaries()) this.set({ daemon: s.daemon }, s.lastHeartbeatAgeSeconds);
      },
    });
    new Gauge({
      name: 'tarn_daemon_instances',
      help: 'Instances of the daemon with a heartbeat row, by liveness',
      labelNames: ['daemon', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const s of await self.summaries()) {
          this.set({ daemon: s.daemon, state: 'alive' }, s.alive);
          this.set({ daemon: s.daemon, state: 'dead' }, s.dead);
        }
      },
    });
  }

  /** The metrics of this process (with Node's process metrics), shared by every runner that is given none. */
  static forProcess(): DaemonMetrics {
    DaemonMetrics.processMetrics ??= new DaemonMetrics(new Registry(), { processMetrics: true });
    return DaemonMetrics.processMetrics;
  }

  /** Where the liveness gauges read heartbeats from (HeartbeatService.summary). */
  watchHeartbeats(source: () => Promise<DaemonSummary[]>): void {
    this.summarySource = source;
  }

  /** One heartbeats query per scrape, whatever the number of gauges reading it. */
  private summaries(): Promise<DaemonSummary[]> {
    if (!this.summarySource) return Promise.resolve([]);
    const now = Date.now();
    if (!this.cached || now - this.cached.at > 500) {
      this.cached = { at: now, value: this.summarySource().catch(() => []) };
    }
    return this.cached.value;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
