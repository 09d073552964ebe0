import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { envNumber } from '@tarn/config';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { TraceService } from '@tarn/core/traces/trace.service.js';
import { TracesModule } from '@tarn/core/traces/traces.module.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { KronosWorker } from './kronos.worker.js';

/** Provides kronos (TARN_KRONOS_INTERVAL_SECONDS, default 10; TARN_KRONOS_BATCH, default 10,000), without starting it. */
@Module({
  imports: [TracesModule],
  providers: [
    {
      provide: KronosWorker,
      inject: [TraceService],
      useFactory: (traces: TraceService) =>
        new KronosWorker(traces, {
          intervalMs: positiveSeconds(process.env, 'TARN_KRONOS_INTERVAL_SECONDS', 10),
          batchSize: envNumber(process.env, 'TARN_KRONOS_BATCH', 10_000, { integer: true, unit: 'traces' }),
          passBudgetMs: 5_000,
        }),
    },
  ],
  exports: [KronosWorker],
})
export class KronosWorkerModule {}

@Injectable()
class KronosRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(KronosWorker) private readonly worker: KronosWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** Kronos in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [KronosWorkerModule, DaemonModule], providers: [KronosRegistration] })
export class KronosModule {}
