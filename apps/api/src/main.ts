import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@tarn/config';
import { ApiAppModule } from './api-app.module.js';
import { configureApi } from './configure-api.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(ApiAppModule, { abortOnError: false, bodyParser: false });
  configureApi(app);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  console.log(`Tarn API listening on http://${config.host}:${config.port}`);
}

main().catch((error) => {
  console.error(`Tarn API did not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
