import { DataSource } from 'typeorm';

/** Any constant shared by every Tarn process: only one of them migrates at a time. */
const MIGRATION_LOCK_KEY = 7_472_766_101;

export class PendingMigrationsError extends Error {
  constructor(pending: string[]) {
    super(
      `The catalogue database has ${pending.length} migration(s) not applied (${pending.join(', ')}). ` +
        'Run `npm run migrate` (it is safe while other Tarn processes run), then start again.',
    );
    this.name = 'PendingMigrationsError';
  }
}

export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = new Set<string>();
  const exists = await dataSource.query(`SELECT to_regclass('migrations') IS NOT NULL AS present`);
  if (exists[0].present) {
    for (const row of await dataSource.query('SELECT name FROM migrations')) applied.add(row.name);
  }
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

/** Applies pending migrations, each in its own transaction, holding an advisory lock for the whole run. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockHolder.release();
  }
}

export async function assertNoPendingMigrations(dataSource: DataSource): Promise<void> {
  const pending = await pendingMigrations(dataSource);
  if (pending.length > 0) throw new PendingMigrationsError(pending);
}
