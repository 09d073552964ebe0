import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { MIGRATIONS } from '../../../migrations/index.js';

/** The server the tests use: set by test/global-setup.cjs (or by whoever runs jest against their own PostgreSQL). */
export function testServerUrl(): string {
  const url = process.env.TARN_TEST_DATABASE_URL;
  if (!url) throw new Error('TARN_TEST_DATABASE_URL is not set: run the tests through `npm test`, which starts PostgreSQL');
  return url;
}

export function databaseUrl(database: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

const TEMPLATE_LOCK_KEY = 7_472_766_102;

/** The template's name changes with the list of migrations, so a stale template is never cloned. */
function templateName(): string {
  const names = MIGRATIONS.map((m) => m.name).join(',');
  return `tarn_template_${createHash('sha1').update(names).digest('hex').slice(0, 12)}`;
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the migrated template database once per server (and per migration list), under an advisory lock. */
async function ensureTemplate(client: Client): Promise<string> {
  const template = templateName();
  await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (found.rowCount === 0) {
      const stale = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'tarn\\_template\\_%'`);
      for (const row of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${template}"`);
      const dataSource = createDataSource({ url: databaseUrl(template) });
      await dataSource.initialize();
      try {
        await runMigrations(dataSource);
      } finally {
        await dataSource.destroy();
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
  }
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  dataSource: DataSource;
  /** Drops the database; call it in afterAll. */
  drop(): Promise<void>;
}

/** A fresh database for one test file, cloned from the migrated template (a file copy, milliseconds). */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `tarn_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(async (client) => {
    if (options.migrated === false) {
      await client.query(`CREATE DATABASE "${name}"`);
    } else {
      const template = await ensureTemplate(client);
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    }
  });
  const url = databaseUrl(name);
  const dataSource = createDataSource({ url });
  await dataSource.initialize();
  return {
    name,
    url,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
