import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { createMessenger } from './messenger.factory.js';
import { MessengerWorker } from './messenger.worker.js';

@Injectable()
class MessengerRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(MessengerWorker) private readonly messenger: MessengerWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.messenger);
  }
}

/**
 * The messenger as part of a Nest application (embedded mode): registered with the DaemonRegistry, whose
 * loop starts at bootstrap. Needs TARN_CONFIG and DataSource (ConfigModule + CatalogueModule).
 */
@Module({
  imports: [DaemonModule],
  providers: [
    {
      provide: MessengerWorker,
      inject: [TARN_CONFIG, DataSource, DaemonMetrics],
      useFactory: (config: TarnConfig, dataSource: DataSource, metrics: DaemonMetrics) => createMessenger(config, dataSource, { metrics }),
    },
    MessengerRegistration,
  ],
  exports: [MessengerWorker],
})
export class MessengerModule {}
