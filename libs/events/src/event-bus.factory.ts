import { DataSource } from 'typeorm';
import type { TarnConfig } from '@tarn/config';
import type { EventBus } from './event-bus.js';
import { loadEventsSettings, type EventsSettings } from './events.config.js';
import { KafkaEventBus } from './kafka/kafka-event-bus.js';
import { consoleLogger, type Logger } from './logger.js';
import { PostgresEventBus } from './postgres/postgres-event-bus.js';

export interface CreateEventBusOptions {
  settings?: EventsSettings;
  logger?: Logger;
  clientId?: string;
}

/** The bus the configuration asks for: Kafka (TARN_EVENT_BUS=kafka, KAFKA_BROKERS) or the outbox on PostgreSQL. */
export function createEventBus(config: Pick<TarnConfig, 'eventBus' | 'kafkaBrokers'>, dataSource: DataSource, options: CreateEventBusOptions = {}): EventBus {
  const settings = options.settings ?? loadEventsSettings();
  const logger = options.logger ?? consoleLogger('events');
  if (config.eventBus === 'kafka') {
    const sessionTimeout = settings.kafkaSessionTimeoutMs;
    return new KafkaEventBus({
      brokers: config.kafkaBrokers,
      topicPrefix: settings.topicPrefix,
      clientId: options.clientId,
      logger,
      consumer: { sessionTimeout, heartbeatInterval: Math.max(500, Math.min(3000, Math.floor(sessionTimeout / 10))) },
    });
  }
  return new PostgresEventBus({ dataSource, partitions: settings.busPartitions, logger });
}
