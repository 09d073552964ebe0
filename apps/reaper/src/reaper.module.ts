import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { ReaperServiceModule } from '@tarn/core/reaper/reaper.module.js';
import { ReaperService } from '@tarn/core/reaper/reaper.service.js';
import { ReaperMetrics } from '@tarn/core/reaper/reaper.metrics.js';
import { loadReaperSettings } from './reaper.config.js';
import { REAPER, ReaperWorker } from './reaper.worker.js';

/** Provides the reaper (knobs TARN_REAPER_*, see reaper.config.ts), without starting it. */
@Module({
  imports: [ReaperServiceModule],
  providers: [
    {
      provide: ReaperWorker,
      inject: [ReaperService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: ReaperService, bus: EventBus | undefined) =>
        new ReaperWorker(service, bus ?? null, loadReaperSettings(), new ReaperMetrics(DaemonMetrics.forProcess().registry), consoleLogger(REAPER)),
    },
  ],
  exports: [ReaperWorker],
})
export class ReaperWorkerModule {}

@Injectable()
class ReaperRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(ReaperWorker) private readonly worker: ReaperWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The reaper in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [ReaperWorkerModule, DaemonModule], providers: [ReaperRegistration] })
export class ReaperModule {}
