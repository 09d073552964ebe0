import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { TransferMetrics } from '@tarn/core/transfers/transfer.metrics.js';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferSubmitterService } from '@tarn/core/transfers/transfer-submitter.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { TRANSFER_SUBMITTER, TransferSubmitterWorker } from './transfer-submitter.worker.js';

/** Provides the transfer submitter (TARN_TRANSFER_SUBMITTER_INTERVAL_SECONDS, default 5), without starting it. */
@Module({
  imports: [TransfersModule],
  providers: [
    {
      provide: TransferSubmitterWorker,
      inject: [TransferSubmitterService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: TransferSubmitterService, bus: EventBus | undefined) =>
        new TransferSubmitterWorker(
          service,
          bus ?? null,
          { intervalMs: positiveSeconds(process.env, 'TARN_TRANSFER_SUBMITTER_INTERVAL_SECONDS', 5), batchSize: 1000 },
          consoleLogger(TRANSFER_SUBMITTER),
          new TransferMetrics(DaemonMetrics.forProcess().registry),
        ),
    },
  ],
  exports: [TransferSubmitterWorker],
})
export class TransferSubmitterWorkerModule {}

@Injectable()
class TransferSubmitterRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(TransferSubmitterWorker) private readonly worker: TransferSubmitterWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The transfer submitter in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [TransferSubmitterWorkerModule, DaemonModule], providers: [TransferSubmitterRegistration] })
export class TransferSubmitterModule {}
