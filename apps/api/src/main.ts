import 'reflect-metadata';
import { loadConfig } from '@tarn/config';
import { ApiProcessModule } from './api-app.module.js';
import { startHttp } from './bootstrap/start-http.js';

async function main(): Promise<void> {
  await startHttp(ApiProcessModule, loadConfig(), (url) => `Tarn API listening on ${url}`);
}

main().catch((error) => {
  console.error(`Tarn API did not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
