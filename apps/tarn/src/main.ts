import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@tarn/config';
import { configureApi } from '../../api/src/configure-api.js';
import { TarnModule } from './tarn.module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(TarnModule, { abortOnError: false, bodyParser: false });
  configureApi(app);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  console.log(
    `Tarn listening on http://${config.host}:${config.port} ` +
      `(${config.databaseUrl ? 'external PostgreSQL' : `embedded PostgreSQL in ${config.home}`}, ${config.eventBus} event bus)`,
  );
}

main().catch((error) => {
  console.error(`Tarn did not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
