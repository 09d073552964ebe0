/**
 * A PostgreSQL server of a test's own (scripts/services/postgres.sh on a free port and a new data directory), for
 * tests that stop and start the server under a running Tarn: the shared test server must stay up for everyone else.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { REPO_ROOT } from './repo-root.js';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts/services/postgres.sh');

export interface DisposablePostgres {
  port: number;
  /** A database on it (created by createDatabase). */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  start(): Promise<void>;
  /** A fast shutdown: sessions are ended, as when an operator stops the server. */
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

/** A TCP port of 127.0.0.1 nobody listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startDisposablePostgres(): Promise<DisposablePostgres> {
  const port = await freePort();
  const data = `/tmp/tarn-pg-${process.pid}-${randomBytes(4).toString('hex')}`;
  const env = { ...process.env, TARN_TEST_PG_PORT: String(port), TARN_TEST_PG_DATA: data };
  const script = (verb: string) => run('bash', [SCRIPT, verb], { env, timeout: 120_000 }).then(() => undefined);
  const url = (database: string) => `postgres://tarn@127.0.0.1:${port}/${database}`;
  await script('start');
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
    },
    start: () => script('start'),
    stop: () => script('stop'),
    async remove() {
      await script('stop').catch(() => undefined);
      fs.rmSync(data, { recursive: true, force: true });
      fs.rmSync(`${data}.initdb.log`, { force: true });
    },
  };
}
