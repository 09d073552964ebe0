/**
 * Shared set-up of the scenario tests: all of Tarn (API + every daemon) over a test database on one event bus, an
 * administrator driving it with the `tarn` CLI, RSEs on temporary directories and on the S3 test server, and
 * polling with deadlines.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestBucket, createTestDirectory, createTestS3Client, testS3Server } from '@tarn/testing/storage.js';
import { type EventBusMode, startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from '../../cli/cli-harness.js';

export type Row = Record<string, any>;

/** Daemon knobs of the scenarios: every daemon a scenario waits on sweeps each second (events wake them earlier). */
export const SCENARIO_DAEMONS: Record<string, string> = {
  TARN_INGESTER_INTERVAL_SECONDS: '1',
  TARN_TRANSMOGRIFIER_INTERVAL_SECONDS: '1',
  TARN_TRANSFER_SUBMITTER_INTERVAL_SECONDS: '1',
  TARN_TRANSFER_WORKER_INTERVAL_SECONDS: '1',
  TARN_TRANSFER_FINISHER_INTERVAL_SECONDS: '1',
  TARN_RULE_EVALUATOR_INTERVAL_SECONDS: '1',
  TARN_RULE_CLEANER_INTERVAL_SECONDS: '1',
  TARN_REAPER_INTERVAL_SECONDS: '1',
  TARN_REPLICA_REGISTRAR_INTERVAL_SECONDS: '1',
};

export interface Scenario {
  mode: EventBusMode;
  db: TestDatabase;
  tarn: TestTarn;
  /** An administrator at the `tarn` command line. */
  cli: CliUser;
  account: string;
  /** Adds a posix RSE on a fresh temporary directory. */
  posixRse(name: string, options?: { nonDeterministic?: boolean; attributes?: Record<string, string> }): Promise<{ root: string }>;
  /** Adds an S3 RSE on a fresh bucket of the test server. */
  s3Rse(name: string, options?: { attributes?: Record<string, string> }): Promise<{ bucket: string }>;
  close(): Promise<void>;
}

export async function startScenario(mode: EventBusMode, env: Record<string, string> = {}): Promise<Scenario> {
  const started = Date.now();
  const s3 = testS3Server();
  const s3Env = { TARN_S3_ACCESS_KEY_ID: s3.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, TARN_S3_REGION: s3.region };
  Object.assign(process.env, s3Env);
  const db = await createTestDatabase();
  const areas: Array<{ drop(): Promise<void> }> = [];
  let tarn: TestTarn | undefined;
  let cli: CliUser | undefined;
  const close = async () => {
    cli?.drop();
    await tarn?.close();
    for (const area of areas) await area.drop().catch(() => undefined);
    await db.drop();
  };
  try {
    tarn = await startTestTarn(db, mode, { ...SCENARIO_DAEMONS, ...env });
    const account = `ops${mode === 'kafka' ? 'k' : 'e'}`;
    const password = `pw-${account}-scenario`;
    await createAccount(db.dataSource, { account, admin: true, password });
    cli = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: account, TARN_PASSWORD: password, ...s3Env });
    const user = cli;
    const attributes = async (name: string, attrs: Record<string, string> = {}) => {
      for (const [key, value] of Object.entries(attrs)) await user.ok(['rse', 'set-attr', name, key, value]);
    };
    console.log(`scenario (${mode}): Tarn started in ${Date.now() - started} ms`);
    return {
      mode,
      db,
      tarn,
      cli,
      account,
      async posixRse(name, options = {}) {
        const dir = await createTestDirectory();
        areas.push(dir);
        await user.ok(['rse', 'add', name, ...(options.nonDeterministic ? ['--non-deterministic'] : [])]);
        await user.ok(['rse', 'add-protocol', name, '--scheme', 'file', '--prefix', dir.root]);
        await attributes(name, options.attributes);
        return { root: dir.root };
      },
      async s3Rse(name, options = {}) {
        const bucket = await createTestBucket();
        areas.push(bucket);
        const p = bucket.protocol;
        await user.ok(['rse', 'add', name]);
        await user.ok(['rse', 'add-protocol', name, '--scheme', p.scheme, '--hostname', p.hostname, '--port', String(p.port), '--prefix', p.prefix]);
        await attributes(name, options.attributes);
        return { bucket: bucket.bucket };
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** Polls `probe` until it answers something other than undefined/false/null; fails with `what` and the last value at the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Every file below a directory (relative paths, sorted). */
export async function filesBelow(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

/** The bytes a PFN points at (file:// or s3:// of the test server), read directly from the storage. */
export async function readPfn(pfn: string): Promise<Buffer> {
  const url = new URL(pfn);
  if (url.protocol === 'file:') return readFile(decodeURIComponent(url.pathname));
  if (url.protocol.startsWith('s3')) {
    const [, bucket, ...key] = decodeURIComponent(url.pathname).split('/');
    const client = createTestS3Client();
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } finally {
      client.destroy();
    }
  }
  throw new Error(`readPfn: unsupported PFN ${pfn}`);
}

/** `tarn replica list` of DIDs, with every state: one row per (file, RSE). */
export async function replicas(cli: CliUser, dids: string[]): Promise<Row[]> {
  return cli.json<Row[]>(['replica', 'list', ...dids, '--all-states']);
}

/** Elapsed seconds since `t0`, for the timing notes. */
export const since = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
