import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { summarize, type DaemonInstanceStatus, type DaemonSummary } from './heartbeat.service.js';

/**
 * Prometheus metrics of the daemons: counters and durations of this process's passes, and from the heartbeats table
 * the liveness of every daemon instance of the deployment (`tarn_daemon_instance_up`) and of every daemon
 * (`tarn_daemon_up` 0 as soon as one of its instances is dead, even while others live).
 */
export class DaemonMetrics {
  readonly passes: Counter<'daemon'>;
  readonly items: Counter<'daemon'>;
  readonly errors: Counter<'daemon'>;
  readonly passDuration: Histogram<'daemon'>;
  private instanceSource: (() => Promise<DaemonInstanceStatus[]>) | null = null;
  private cached: { at: number; value: Promise<DaemonInstanceStatus[]> } | null = null;
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
    const perDaemon = (name: string, help: string, value: (s: DaemonSummary) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['daemon'],
        registers,
        async collect() {
          this.reset();
          for (const s of summarize(await self.instances())) this.set({ daemon: s.daemon }, value(s));
        },
      });
    const perInstance = (name: string, help: string, value: (i: DaemonInstanceStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['daemon', 'hostname', 'pid', 'thread'],
        registers,
        async collect() {
          this.reset();
          for (const i of await self.instances()) this.set({ daemon: i.executable, hostname: i.hostname, pid: String(i.pid), thread: i.thread }, value(i));
        },
      });
    perDaemon(
      'tarn_daemon_up',
      '1 when every instance of the daemon with a heartbeat is alive; 0 when one is dead (until it is cleared) or none is alive',
      (s) => (s.up ? 1 : 0),
    );
    perDaemon('tarn_daemon_last_heartbeat_age_seconds', 'Seconds since the freshest heartbeat of any instance of the daemon', (s) => s.lastHeartbeatAgeSeconds);
    new Gauge({
      name: 'tarn_daemon_instances',
      help: 'Instances of the daemon with a heartbeat row, by liveness',
      labelNames: ['daemon', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const s of summarize(await self.instances())) {
          this.set({ daemon: s.daemon, state: 'alive' }, s.alive);
          this.set({ daemon: s.daemon, state: 'dead' }, s.dead);
        }
      },
    });
    perInstance('tarn_daemon_instance_up', '1 while the daemon instance (host, pid, thread) beats, 0 once it is dead (until it is cleared)', (i) =>
      i.alive ? 1 : 0,
    );
    perInstance('tarn_daemon_instance_heartbeat_age_seconds', 'Seconds since the daemon instance last beat', (i) => i.ageSeconds);
  }

  /** The metrics of this process (with Node's process metrics), shared by every runner that is given none. */
  static forProcess(): DaemonMetrics {
    DaemonMetrics.processMetrics ??= new DaemonMetrics(new Registry(), { processMetrics: true });
    return DaemonMetrics.processMetrics;
  }

  /** Where the liveness gauges read heartbeats from (HeartbeatService.list). */
  watchHeartbeats(source: () => Promise<DaemonInstanceStatus[]>): void {
    this.instanceSource = source;
  }

  /** One heartbeats query per scrape, whatever the number of gauges reading it. */
  private instances(): Promise<DaemonInstanceStatus[]> {
    if (!this.instanceSource) return Promise.resolve([]);
    const now = Date.now();
    if (!this.cached || now - this.cached.at > 500) {
      this.cached = { at: now, value: this.instanceSource().catch(() => []) };
    }
    return this.cached.value;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
