import { DynamicModule, Global, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { openCatalogue } from '@tarn/catalogue';
import { loadConfig, TARN_CONFIG, type TarnConfig } from '@tarn/config';
import type { DaemonDefinition } from './daemon.types.js';
import { DaemonMetrics } from './daemon.metrics.js';
import { DaemonRunner } from './daemon.runner.js';
import { HeartbeatService } from './heartbeat.service.js';
import { runDaemonProcess } from './daemon.process.js';
import { consoleLogger, createEventBus, EVENT_BUS, type EventBus } from '@tarn/events';

/** What Nest's modules of a standalone daemon process need from outside: configuration, catalogue, event bus. */
@Global()
@Module({})
class StandaloneProcessModule {
  static with(config: TarnConfig, dataSource: DataSource, bus: EventBus): DynamicModule {
    return {
      module: StandaloneProcessModule,
      providers: [
        { provide: TARN_CONFIG, useValue: config },
        { provide: DataSource, useValue: dataSource },
        { provide: EVENT_BUS, useValue: bus },
      ],
      exports: [TARN_CONFIG, DataSource, EVENT_BUS],
    };
  }
}

@Module({})
class StandaloneDaemonRoot {}

export interface StandaloneDaemonOptions {
  /** The daemon's name: logs, `tarn-<name>` as the catalogue connections' application_name. */
  name: string;
  /** A Nest module providing `worker` (and its services), without registering it anywhere. */
  module: Type<unknown>;
  worker: Type<DaemonDefinition>;
}

/**
 * A rule daemon as its own process (scale-out mode): its catalogue connection, its event bus (Kafka or the
 * PostgreSQL outbox, as configured), the daemon loop until SIGTERM, `--once` for one pass. Refuses to start on
 * a catalogue with pending migrations. Resolves with the exit code.
 */
export async function runStandaloneDaemon(options: StandaloneDaemonOptions): Promise<number> {
  const logger = consoleLogger(options.name);
  const config = loadConfig();
  const catalogue = await openCatalogue(config, { applicationName: `tarn-${options.name}`, log: (line) => logger.log(line) });
  const bus = createEventBus(config, catalogue.dataSource, { logger, clientId: `tarn-${options.name}-${process.pid}` });
  try {
    const app = await NestFactory.createApplicationContext(
      { module: StandaloneDaemonRoot, imports: [StandaloneProcessModule.with(config, catalogue.dataSource, bus), options.module] },
      { logger: ['error', 'warn'] },
    );
    try {
      const metrics = DaemonMetrics.forProcess();
      const heartbeats = new HeartbeatService(catalogue.dataSource);
      const runner = new DaemonRunner(app.get(options.worker), { dataSource: catalogue.dataSource, metrics, heartbeats, logger });
      logger.log(`started (${config.eventBus} event bus)`);
      return await runDaemonProcess({ runners: [runner], heartbeats, metrics, logger });
    } finally {
      await app.close();
    }
  } finally {
    await bus.close().catch(() => undefined);
    await catalogue.close();
  }
}

/** Runs `main` and exits with its code, or 1 saying why the daemon did not start. */
export function exitWith(name: string, main: Promise<number>): void {
  main.then(
    (code) => process.exit(code),
    (error) => {
      console.error(`Tarn ${name} did not start: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    },
  );
}
