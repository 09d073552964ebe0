import 'reflect-metadata';
import { openCatalogue } from '@tarn/catalogue';
import { loadConfig } from '@tarn/config';
import { DaemonMetrics, DaemonRunner, HeartbeatService, runDaemonProcess } from '@tarn/daemon';
import { consoleLogger } from '@tarn/events';
import { createMessenger } from './messenger.factory.js';

/**
 * The messenger as its own process (scale-out mode): publishes the outbox to Kafka until SIGTERM.
 * `--once` publishes one batch and exits. Refuses to start while the catalogue has pending migrations.
 */
async function main(): Promise<number> {
  const logger = consoleLogger('messenger');
  const config = loadConfig();
  const catalogue = await openCatalogue(config, { applicationName: 'tarn-messenger', log: (line) => logger.log(line) });
  try {
    const metrics = DaemonMetrics.forProcess();
    const heartbeats = new HeartbeatService(catalogue.dataSource);
    const messenger = createMessenger(config, catalogue.dataSource, { metrics, logger });
    const runner = new DaemonRunner(messenger, { dataSource: catalogue.dataSource, metrics, heartbeats, logger });
    logger.log(
      config.eventBus === 'kafka'
        ? `publishing the outbox to Kafka at ${config.kafkaBrokers.join(',')}`
        : 'event bus is PostgreSQL (no KAFKA_BROKERS): pruning the outbox only',
    );
    return await runDaemonProcess({ runners: [runner], heartbeats, metrics, logger });
  } finally {
    await catalogue.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`Tarn messenger did not start: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
