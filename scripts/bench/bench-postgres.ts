/** The PostgreSQL server the benches that need Kafka use: TARN_TEST_DATABASE_URL, or the project's test server. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';

/** The repository root: the nearest directory above this file with scripts/services (dist/scripts/bench or scripts/bench). */
function repositoryRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'scripts/services/postgres.sh'))) return dir;
  }
  throw new Error('cannot find scripts/services/postgres.sh above the bench; set TARN_TEST_DATABASE_URL');
}

export function benchServerUrl(): string {
  if (process.env.TARN_TEST_DATABASE_URL) return process.env.TARN_TEST_DATABASE_URL;
  const script = path.join(repositoryRoot(), 'scripts/services/postgres.sh');
  execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return execFileSync('bash', [script, 'url'], { encoding: 'utf8' }).trim();
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
