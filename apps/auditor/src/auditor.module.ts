import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger } from '@tarn/events';
import { ConsistencyServiceModule } from '@tarn/core/consistency/consistency.module.js';
import { ConsistencyService } from '@tarn/core/consistency/consistency.service.js';
import { ConsistencyMetrics } from '@tarn/core/consistency/consistency.metrics.js';
import { StorageUsageModule } from '@tarn/core/accounting/storage-usage.module.js';
import { StorageUsageService } from '@tarn/core/accounting/storage-usage.service.js';
import { StorageUsageMetrics } from '@tarn/core/accounting/storage-usage.metrics.js';
import { loadAuditorSettings } from './auditor.config.js';
import { AUDITOR, AuditorWorker } from './auditor.worker.js';

/** Provides the auditor (knobs TARN_AUDITOR_*, see auditor.config.ts), without starting it. */
@Module({
  imports: [ConsistencyServiceModule, StorageUsageModule],
  providers: [
    {
      provide: AuditorWorker,
      inject: [ConsistencyService, StorageUsageService],
      useFactory: (consistency: ConsistencyService, usage: StorageUsageService) => {
        const registry = DaemonMetrics.forProcess().registry;
        return new AuditorWorker(
          consistency,
          usage,
          loadAuditorSettings(),
          { consistency: new ConsistencyMetrics(registry), usage: new StorageUsageMetrics(registry) },
          consoleLogger(AUDITOR),
        );
      },
    },
  ],
  exports: [AuditorWorker],
})
export class AuditorWorkerModule {}

@Injectable()
class AuditorRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(AuditorWorker) private readonly worker: AuditorWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The auditor in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [AuditorWorkerModule, DaemonModule], providers: [AuditorRegistration] })
export class AuditorModule {}
