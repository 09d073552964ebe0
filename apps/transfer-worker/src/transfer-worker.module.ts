import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferWorkerService } from '@tarn/core/transfers/transfer-worker.service.js';
import { loadTransferWorkerSettings } from './transfer-worker.config.js';
import { TRANSFER_WORKER, TransferWorkerWorker } from './transfer-worker.worker.js';

/** Provides the transfer worker (see transfer-worker.config.ts for its environment), without starting it. */
@Module({
  imports: [TransfersModule],
  providers: [
    {
      provide: TransferWorkerWorker,
      inject: [TransferWorkerService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: TransferWorkerService, bus: EventBus | undefined) =>
        new TransferWorkerWorker(service, bus ?? null, loadTransferWorkerSettings(), consoleLogger(TRANSFER_WORKER)),
    },
  ],
  exports: [TransferWorkerWorker],
})
export class TransferWorkerWorkerModule {}

@Injectable()
class TransferWorkerRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(TransferWorkerWorker) private readonly worker: TransferWorkerWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The transfer worker in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [TransferWorkerWorkerModule, DaemonModule], providers: [TransferWorkerRegistration] })
export class TransferWorkerModule {}
