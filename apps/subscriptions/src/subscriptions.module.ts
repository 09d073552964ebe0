import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { SubscriptionProcessor } from '@tarn/core/subscriptions/subscription-processor.js';
import { SubscriptionsModule } from '@tarn/core/subscriptions/subscriptions.module.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { TRANSMOGRIFIER, TransmogrifierWorker } from './transmogrifier.worker.js';

/** Provides the transmogrifier (TARN_TRANSMOGRIFIER_INTERVAL_SECONDS, default 60), without starting it. */
@Module({
  imports: [SubscriptionsModule],
  providers: [
    {
      provide: TransmogrifierWorker,
      inject: [SubscriptionProcessor, { token: EVENT_BUS, optional: true }],
      useFactory: (processor: SubscriptionProcessor, bus: EventBus | undefined) =>
        new TransmogrifierWorker(processor, bus ?? null, { intervalMs: positiveSeconds(process.env, 'TARN_TRANSMOGRIFIER_INTERVAL_SECONDS', 60) }, consoleLogger(TRANSMOGRIFIER)),
    },
  ],
  exports: [TransmogrifierWorker],
})
export class TransmogrifierWorkerModule {}

@Injectable()
class TransmogrifierRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(TransmogrifierWorker) private readonly worker: TransmogrifierWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The transmogrifier in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [TransmogrifierWorkerModule, DaemonModule], providers: [TransmogrifierRegistration] })
export class TransmogrifierModule {}
