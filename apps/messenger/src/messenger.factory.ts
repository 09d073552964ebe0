import { DataSource } from 'typeorm';
import type { TarnConfig } from '@tarn/config';
import type { DaemonMetrics } from '@tarn/daemon';
import { consoleLogger, loadEventsSettings, type EventsSettings, type Logger } from '@tarn/events';
import { KafkaOutboxPublisher } from './kafka-outbox.publisher.js';
import { loadMessengerSettings, type MessengerSettings } from './messenger.config.js';
import { MessengerWorker } from './messenger.worker.js';

export interface MessengerFactoryOptions {
  settings?: MessengerSettings;
  events?: EventsSettings;
  metrics?: DaemonMetrics;
  logger?: Logger;
}

/** The messenger for this configuration: publishing to Kafka, or pruning only on the PostgreSQL bus. */
export function createMessenger(
  config: Pick<TarnConfig, 'eventBus' | 'kafkaBrokers'>,
  dataSource: DataSource,
  options: MessengerFactoryOptions = {},
): MessengerWorker {
  const logger = options.logger ?? consoleLogger('messenger');
  const events = options.events ?? loadEventsSettings();
  const publisher =
    config.eventBus === 'kafka' ? new KafkaOutboxPublisher({ brokers: config.kafkaBrokers, topicPrefix: events.topicPrefix }) : null;
  return new MessengerWorker(dataSource, publisher, options.settings ?? loadMessengerSettings(), logger, options.metrics);
}
