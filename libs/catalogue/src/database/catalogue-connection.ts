import { DataSource } from 'typeorm';
import { TarnConfig } from '@tarn/config';
import { createDataSource } from './data-source.js';
import { startEmbeddedPostgres, PostgresServer } from './embedded-postgres.js';
import { assertNoPendingMigrations } from './migrations.js';

/** The catalogue of one process: its DataSource and, in embedded mode, the PostgreSQL it started. */
export interface CatalogueConnection {
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface OpenOptions {
  checkMigrations?: boolean;
  applicationName?: string;
  log?: (line: string) => void;
  /** The embedded PostgreSQL stopped and could not be started again (see startEmbeddedPostgres). */
  onLost?: (message: string) => void;
}

export async function openCatalogue(config: TarnConfig, options: OpenOptions = {}): Promise<CatalogueConnection> {
  const server: PostgresServer = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres(config.home, config.embeddedPostgresPort, { log: options.log, onLost: options.onLost });
  const dataSource = createDataSource({ url: server.url, logSql: config.logSql, applicationName: options.applicationName });
  try {
    await dataSource.initialize();
    if (options.checkMigrations !== false) await assertNoPendingMigrations(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await server.stop();
    throw error;
  }
  return {
    dataSource,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await server.stop();
    },
  };
}
