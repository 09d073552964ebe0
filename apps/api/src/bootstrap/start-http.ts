import { ConsoleLogger, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestLogLevels, type TarnConfig } from '@tarn/config';
import { configureApi } from '../configure-api.js';
import { RootAccountBootstrap } from './root-account.bootstrap.js';

/**
 * Starts an HTTP process of Tarn (all of Tarn, or the API alone): the framework says only what goes wrong unless
 * TARN_LOG_LEVEL asks for more, the line that says where it listens comes once it does, and a root password made
 * on this start comes last, set apart.
 */
export async function startHttp(module: Type, config: TarnConfig, describe: (url: string) => string): Promise<INestApplication> {
  const logger = new ConsoleLogger({ logLevels: nestLogLevels(config.logLevel) });
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
