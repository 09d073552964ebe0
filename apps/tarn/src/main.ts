import 'reflect-metadata';
import { loadConfig } from '@tarn/config';
import { startHttp } from '../../api/src/bootstrap/start-http.js';
import { TarnModule } from './tarn.module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  await startHttp(
    TarnModule,
    config,
    (url) =>
      `Tarn listening on ${url} (${config.databaseUrl ? 'external PostgreSQL' : `embedded PostgreSQL in ${config.home}`}, ${config.eventBus} event bus); ` +
      `the web UI at ${url}/ui; ` +
      `tarn finds it with --url ${url}, or with the same TARN_HOST and TARN_PORT`,
  );
}

main().catch((error) => {
  console.error(`Tarn did not start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
