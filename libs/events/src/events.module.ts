import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import type { EventBus } from './event-bus.js';
import { createEventBus } from './event-bus.factory.js';

/** Injection token of the process's EventBus. */
export const EVENT_BUS = Symbol('EVENT_BUS');

@Injectable()
class EventBusLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** Provides EVENT_BUS (Kafka or PostgreSQL, from TarnConfig) and closes it at shutdown. Needs TARN_CONFIG and DataSource. */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_BUS,
      inject: [TARN_CONFIG, DataSource],
      useFactory: (config: TarnConfig, dataSource: DataSource): EventBus => createEventBus(config, dataSource),
    },
    EventBusLifecycle,
  ],
  exports: [EVENT_BUS],
})
export class EventsModule {}
