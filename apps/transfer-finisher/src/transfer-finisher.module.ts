import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { TransferMetrics } from '@tarn/core/transfers/transfer.metrics.js';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferFinisherService } from '@tarn/core/transfers/transfer-finisher.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { TRANSFER_FINISHER, TransferFinisherWorker } from './transfer-finisher.worker.js';

/** Provides the transfer finisher (TARN_TRANSFER_FINISHER_INTERVAL_SECONDS, default 5), without starting it. */
@Module({
  imports: [TransfersModule],
  providers: [
    {
      provide: TransferFinisherWorker,
      inject: [TransferFinisherService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: TransferFinisherService, bus: EventBus | undefined) =>
        new TransferFinisherWorker(
          service,
          bus ?? null,
          { intervalMs: positiveSeconds(process.env, 'TARN_TRANSFER_FINISHER_INTERVAL_SECONDS', 5), batchSize: 1000 },
          consoleLogger(TRANSFER_FINISHER),
          new TransferMetrics(DaemonMetrics.forProcess().registry),
        ),
    },
  ],
  exports: [TransferFinisherWorker],
})
export class TransferFinisherWorkerModule {}

@Injectable()
class TransferFinisherRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(TransferFinisherWorker) private readonly worker: TransferFinisherWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The transfer finisher in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [TransferFinisherWorkerModule, DaemonModule], providers: [TransferFinisherRegistration] })
export class TransferFinisherModule {}
