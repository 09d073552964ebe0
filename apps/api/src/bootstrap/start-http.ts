import { ConsoleLogger, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PendingMigrationsError } from '@tarn/catalogue';
import { nestLogLevels, type TarnConfig } from '@tarn/config';
import { isTarnError } from '@tarn/domain';
import { configureApi } from '../configure-api.js';
import { RootAccountBootstrap } from './root-account.bootstrap.js';

/**
 * Starts an HTTP process of Tarn (all of Tarn, or the API alone): the framework says only what goes wrong unless
 * TARN_LOG_LEVEL asks for more, the line that says where it listens comes once it does, and a root password made
 * on this start comes last, set apart.
 */
export async function startHttp(module: Type, config: TarnConfig, describe: (url: string) => string): Promise<INestApplication> {
  const logger = new StartupLogger({ logLevels: nestLogLevels(config.logLevel) });
  const app = await NestFactory.create(module, { abortOnError: false, bodyParser: false, logger });
  configureApi(app);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  process.stdout.write(`${describe(`http://${host.includes(':') ? `[${host}]` : host}:${config.port}`)}\n`);
  const root = app.get(RootAccountBootstrap, { strict: false }).announcement();
  if (root) process.stdout.write(root);
  return app;
}

/**
 * The framework logs an error that stops the start with its stack before the caller says it in one line; an error
 * that already tells the user what to do (pending migrations, Tarn's own errors) is left to that line.
 */
class StartupLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler' && (message instanceof PendingMigrationsError || isTarnError(message))) return;
    super.error(message, ...rest);
  }
}
