/** `npm run migrate`: applies pending migrations to the configured (or embedded) database. */
import { loadConfig } from '@tarn/config';
import { openCatalogue, runMigrations } from '@tarn/catalogue';

async function main(): Promise<void> {
  const catalogue = await openCatalogue(loadConfig(), { checkMigrations: false, log: (line) => console.log(line) });
  try {
    const applied = await runMigrations(catalogue.dataSource);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'catalogue is up to date');
  } finally {
    await catalogue.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
