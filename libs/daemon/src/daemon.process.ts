import { consoleLogger, type Logger } from '@tarn/events';
import { metricsEndpoint, serveDaemonHealth } from './daemon-http.server.js';
import { DaemonMetrics } from './daemon.metrics.js';
import { DaemonRunner } from './daemon.runner.js';
import { HeartbeatService } from './heartbeat.service.js';

export interface DaemonProcessOptions {
  runners: DaemonRunner[];
  heartbeats: HeartbeatService;
  metrics?: DaemonMetrics;
  /** One pass of each daemon, then exit (`--once`). Default: `--once` in process.argv. */
  once?: boolean;
  /** Default: TARN_METRICS_PORT / TARN_METRICS_HOST (0: a free port; null: no server). */
  metricsPort?: number | null;
  metricsHost?: string;
  logger?: Logger;
}

/**
 * Runs daemons as the main work of a process until SIGTERM/SIGINT: each finishes the item in hand, removes
 * its heartbeat and closes; a second signal exits at once. With `--once`, one pass each. Resolves with
 * the exit code (0, or 1 if a `--once` pass failed); the caller closes the catalogue and exits.
 */
export async function runDaemonProcess(options: DaemonProcessOptions): Promise<number> {
  const logger = options.logger ?? consoleLogger('daemons');
  const metrics = options.metrics ?? DaemonMetrics.forProcess();
  if (options.once ?? process.argv.includes('--once')) {
    let code = 0;
    for (const runner of options.runners) {
      try {
        const result = await runner.runOnce();
        logger.log(`${runner.name}: one pass done (${result.items ?? 0} item(s)${result.failedItems ? `, ${result.failedItems} failed` : ''})`);
        if (result.failedItems) code = 1;
      } catch (error) {
        logger.error(`${runner.name}: the pass failed: ${(error as Error).message}`);
        code = 1;
      } finally {
        await runner.stop();
      }
    }
    return code;
  }

  metrics.watchHeartbeats(() => options.heartbeats.list());
  const endpoint = metricsEndpoint();
  const server = await serveDaemonHealth(options.runners, { metrics, heartbeats: options.heartbeats }, logger, {
    port: options.metricsPort === undefined ? endpoint.port : options.metricsPort,
    host: options.metricsHost ?? endpoint.host,
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    logger.log(`${signal}: stopping after the item in hand (send it again to exit at once)`);
    for (const runner of options.runners) void runner.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await Promise.all(options.runners.map((runner) => runner.start()));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await server?.close();
  }
  return 0;
}
