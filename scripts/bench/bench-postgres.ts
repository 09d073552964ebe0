/** The PostgreSQL server the benches that need one of their own (and Kafka) use. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { repositoryRoot } from './bench-run.js';

/**
 * The benches' own server (scripts/services/postgres.sh with production settings: fsync, synchronous_commit and
 * full_page_writes on; port TARN_BENCH_PG_PORT, 54339), or TARN_BENCH_DATABASE_URL.
 */
export function benchServerUrl(): string {
  if (process.env.TARN_BENCH_DATABASE_URL) return process.env.TARN_BENCH_DATABASE_URL;
  const script = path.join(repositoryRoot(), 'scripts/services/postgres.sh');
  const env = {
    ...process.env,
    TARN_PG_DURABLE: '1',
    TARN_TEST_PG_PORT: process.env.TARN_BENCH_PG_PORT ?? '54339',
    TARN_TEST_PG_DATA: process.env.TARN_BENCH_PG_DATA ?? path.join(os.tmpdir(), 'tarn-bench-postgres'),
  };
  execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return execFileSync('bash', [script, 'url'], { encoding: 'utf8', env }).trim();
}

/**
 * The server's durability settings and shared buffers, for a bench's first line:
 * `fsync=on, full_page_writes=on, shared_buffers=4GB, synchronous_commit=on`.
 */
export async function durabilityOf(query: (sql: string) => Promise<Array<{ name: string; setting: string }>>): Promise<string> {
  const rows = await query(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers') ORDER BY name`,
  );
  return rows.map((r) => `${r.name}=${r.setting}`).join(', ');
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
