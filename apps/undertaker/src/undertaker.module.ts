import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { ExpiryService } from '@tarn/core/rules/expiry.service.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { UndertakerWorker } from './undertaker.worker.js';

/** Provides the undertaker (TARN_UNDERTAKER_INTERVAL_SECONDS, default 60), without starting it. */
@Module({
  imports: [RuleDaemonsModule],
  providers: [
    {
      provide: UndertakerWorker,
      inject: [ExpiryService],
      useFactory: (expiry: ExpiryService) =>
        new UndertakerWorker(expiry, {
          intervalMs: positiveSeconds(process.env, 'TARN_UNDERTAKER_INTERVAL_SECONDS', 60),
          batchSize: 100,
          passBudgetMs: 5_000,
        }),
    },
  ],
  exports: [UndertakerWorker],
})
export class UndertakerWorkerModule {}

@Injectable()
class UndertakerRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(UndertakerWorker) private readonly worker: UndertakerWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The undertaker in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [UndertakerWorkerModule, DaemonModule], providers: [UndertakerRegistration] })
export class UndertakerModule {}
