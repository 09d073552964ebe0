import {
  BeforeApplicationShutdown,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { consoleLogger } from '@tarn/events';
import { DaemonHttpServer, serveDaemonHealth } from './daemon-http.server.js';
import { DaemonMetrics } from './daemon.metrics.js';
import { DaemonRunner } from './daemon.runner.js';
import type { DaemonDefinition } from './daemon.types.js';
import { HeartbeatService } from './heartbeat.service.js';

/**
 * The daemons of a Nest application (embedded mode: the API process runs them all). Modules register
 * their daemons at init; the loops start when the application has bootstrapped (`app.init()`/`listen()`),
 * with the health and metrics server (TARN_METRICS_PORT: 0 a free port, off none), and stop, each after its item in
 * hand, before the application shuts down.
 */
@Injectable()
export class DaemonRegistry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runners: DaemonRunner[] = [];
  private server: DaemonHttpServer | null = null;
  private loops: Promise<void>[] = [];
  private readonly logger = consoleLogger('daemons');

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DaemonMetrics) private readonly metrics: DaemonMetrics,
    @Inject(HeartbeatService) private readonly heartbeats: HeartbeatService,
  ) {}

  register(definition: DaemonDefinition): DaemonRunner {
    const runner = new DaemonRunner(definition, { dataSource: this.dataSource, metrics: this.metrics, heartbeats: this.heartbeats });
    this.runners.push(runner);
    return runner;
  }

  list(): DaemonRunner[] {
    return [...this.runners];
  }

  get(name: string): DaemonRunner | undefined {
    return this.runners.find((r) => r.name === name);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.watchHeartbeats(() => this.heartbeats.list());
    this.server = await serveDaemonHealth(this.runners, { metrics: this.metrics, heartbeats: this.heartbeats }, this.logger);
    this.loops = this.runners.map((runner) => runner.start());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await Promise.allSettled(this.loops);
    await this.server?.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: DaemonMetrics, useFactory: () => DaemonMetrics.forProcess() },
    HeartbeatService,
    DaemonRegistry,
  ],
  exports: [DaemonMetrics, HeartbeatService, DaemonRegistry],
})
export class DaemonModule {}
