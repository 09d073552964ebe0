/** A fresh catalogue for a bench: an embedded PostgreSQL (fsync on, default settings) migrated to head. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadConfig, TARN_CONFIG } from '@tarn/config';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@tarn/catalogue';
import { freePort } from '@tarn/testing/disposable-postgres.js';
import { durabilityOf } from './bench-postgres.js';

export interface BenchCatalogue {
  url: string;
  dataSource: DataSource;
  /** PostgreSQL's server_version. */
  version: string;
  /** Its durability settings and shared buffers (`fsync=on, full_page_writes=on, shared_buffers=128MB, synchronous_commit=on`), for the bench's first line. */
  settings: string;
  /** A global module handing the bench's services this DataSource and a TarnConfig over it (as CatalogueModule does). */
  module: DynamicModule;
  close(): Promise<void>;
}

@Global()
@Module({})
class BenchCatalogueModule {}

export async function startBenchCatalogue(name: string): Promise<BenchCatalogue> {
  const home = mkdtempSync(join(tmpdir(), `tarn-bench-${name}-`));
  const server = await startEmbeddedPostgres(home, await freePort());
  const dataSource = createDataSource({ url: server.url, applicationName: `tarn-bench-${name}` });
  const close = async (): Promise<void> => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
    const settings = await durabilityOf((sql) => dataSource.query(sql));
    const providers = [
      { provide: DataSource, useValue: dataSource },
      { provide: TARN_CONFIG, useValue: loadConfig({ DATABASE_URL: server.url }) },
    ];
    return { url: server.url, dataSource, version, settings, module: { module: BenchCatalogueModule, providers, exports: [DataSource, TARN_CONFIG] }, close };
  } catch (error) {
    await close();
    throw error;
  }
}
