/**
 * `npm run bench:topology`: the nightly scenario at N files (BENCH_FILES, default 400 of 64 KiB) through the `tarn`
 * CLI: upload into a dataset on SITE_A, then a rule for 2 copies on QOS=SAFE (SITE_A, SITE_B) and one for 1 copy on
 * QOS=FAST, until both rules are OK (2 transfers per file, each verified). Files per second from the upload's start
 * to both rules OK, in three shapes of Tarn, in the same run and on the same PostgreSQL server:
 *   - one process: all of Tarn as `npm start` runs it (apps/tarn), the PostgreSQL event bus;
 *   - the topology: every daemon its own process (two instances of the busy five), the API apart, on Kafka;
 *   - the same, with one of the two transfer-workers SIGKILLed once half of the transfers are done (not restarted:
 *     the other takes its leased transfers over when their lease runs out, `transfers` `lease_seconds`, set here to
 *     BENCH_LEASE_SECONDS, default 20; Tarn's default is 120).
 * Daemons run with their production intervals (events wake them). PostgreSQL: a server of the bench's own
 * (scripts/services/postgres.sh on a free port with production settings, TARN_PG_DURABLE; the same for every shape); Kafka: KAFKA_BROKERS (default 127.0.0.1:9092, scripts/services/kafka.sh); storage: posix
 * directories. BENCH_ROUNDS rounds (default 1) of the three; the load average is printed beside each figure (the
 * machine may be shared). Needs `npm run build` (the script does it).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { ALL_TOPICS } from '@tarn/events';
import { runCli } from '../../apps/cli/src/program.js';
import { DAEMONS } from '../../apps/tarn/src/daemon-list.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import { freePort, startDisposablePostgres, type DisposablePostgres } from '@tarn/testing/disposable-postgres.js';
import { durabilityOf } from './bench-postgres.js';
import { runBench } from './bench-run.js';
import { createTestTopics, deleteTestTopics, kafkaBrokers } from '@tarn/testing/kafka.js';
import { startTopology, type Topology } from '@tarn/testing/topology.js';

const FILES = Math.max(2, Number(process.env.BENCH_FILES ?? 400));
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? 64 * 1024);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const LEASE_SECONDS = Number(process.env.BENCH_LEASE_SECONDS ?? 20);
const DOUBLED = ['rule-evaluator', 'transfer-submitter', 'transfer-worker', 'replica-registrar', 'reaper'];
const PASSWORD = 'bench-operator';

type Shape = 'one process' | 'topology' | 'topology, a worker killed';

interface Result {
  shape: Shape;
  round: number;
  seconds: number;
  uploadSeconds: number;
  load: [number, number];
  note: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `tarn` CLI in this process, as an operator with a home of its own. */
function cli(url: string, home: string): (args: string[]) => Promise<string> {
  return async (args) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--json', ...args], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { PATH: process.env.PATH, HOME: home, TARN_URL: url, TARN_ACCOUNT: 'operator', TARN_PASSWORD: PASSWORD },
      stderrIsTty: false,
      stdinIsTty: false,
      cwd: home,
    });
    if (code !== 0) throw new Error(`tarn ${args.join(' ')} exited ${code}: ${stderr}`);
    return stdout;
  };
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/** A database of its own on the bench's server, migrated. */
async function freshDatabase(server: DisposablePostgres, name: string): Promise<string> {
  await server.createDatabase(name);
  const url = server.url(name);
  const dataSource = createDataSource({ url });
  await dataSource.initialize();
  await runMigrations(dataSource);
  await createAccount(dataSource, { account: 'operator', admin: true, password: PASSWORD });
  await dataSource.query(`INSERT INTO configs (section, opt, value, updated_at) VALUES ('transfers', 'lease_seconds', $1, now())`, [String(LEASE_SECONDS)]);
  await dataSource.destroy();
  return url;
}

async function queryRows(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function value(url: string, sql: string): Promise<string> {
  return String(((await queryRows(url, sql))[0] as { n: unknown }).n);
}

const count = async (url: string, sql: string) => Number(await value(url, sql));

/** Every expected daemon instance has a live heartbeat that says it is ready. */
async function readyInstances(url: string): Promise<number> {
  return count(url, `SELECT count(*) AS n FROM heartbeats WHERE payload->>'ready' = 'true' AND updated_at > now() - interval '30 seconds'`);
}

async function nightly(shape: Shape, round: number, apiUrl: string, dbUrl: string, onHalf?: () => Promise<void>): Promise<Result> {
  const home = mkdtempSync(join(tmpdir(), 'tarn-bench-topology-'));
  try {
    const tarn = cli(apiUrl, home);
    for (const rse of ['SITE_A', 'SITE_B', 'FAST']) {
      const root = join(home, rse);
      mkdirSync(root);
      await tarn(['rse', 'add', rse]);
      await tarn(['rse', 'add-protocol', rse, '--scheme', 'file', '--prefix', root]);
      await tarn(['rse', 'set-attr', rse, 'QOS', rse === 'FAST' ? 'FAST' : 'SAFE']);
    }
    await tarn(['scope', 'add', 'bench']);
    const night = join(home, 'night');
    mkdirSync(night);
    for (let i = 0; i < FILES; i++) writeFileSync(join(night, `frame${String(i).padStart(5, '0')}.fits`), randomBytes(FILE_BYTES));
    const load0 = loadavg()[0];
    const started = performance.now();
    await tarn(['upload', night, '--scope', 'bench', '--rse', 'SITE_A', '--dataset', 'night', '--lifetime', '30d', '--parallel', '8']);
    const uploadSeconds = (performance.now() - started) / 1000;
    const safe = JSON.parse(await tarn(['rule', 'add', 'bench:night', '--copies', '2', '--rses', 'QOS=SAFE']))[0];
    const fast = JSON.parse(await tarn(['rule', 'add', 'bench:night', '--copies', '1', '--rses', 'QOS=FAST']))[0];
    let note = '';
    if (onHalf) {
      await waitUntil('half of the transfers done', async () => (await count(dbUrl, `SELECT count(*) AS n FROM requests_history WHERE state = 'D'`)) >= FILES, 600_000);
      const before = performance.now();
      await onHalf();
      note = `killed at ${((before - started) / 1000).toFixed(1)} s`;
    }
    for (const id of [safe, fast]) {
      const shown = JSON.parse(await tarn(['rule', 'show', id, '--wait', '20m', '--interval', '0.2']));
      if (shown.state !== 'OK') throw new Error(`${shape}: rule ${id} ended ${shown.state}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const done = await count(dbUrl, `SELECT count(*) AS n FROM requests_history WHERE state = 'D'`);
    if (done !== 2 * FILES) throw new Error(`${shape}: ${done} transfers done, ${2 * FILES} expected`);
    return { shape, round, seconds, uploadSeconds, load: [load0, loadavg()[0]], note };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function oneProcess(server: DisposablePostgres, round: number): Promise<Result> {
  const dbUrl = await freshDatabase(server, `one_${round}`);
  const port = await freePort();
  const tarn: DaemonProcess = startDaemonProcess('tarn', dbUrl, { TARN_PORT: String(port), TARN_METRICS_PORT: '0' });
  try {
    const api = `http://127.0.0.1:${port}`;
    await waitUntil('Tarn in one process', async () => (await fetch(`${api}/health`)).ok && (await readyInstances(dbUrl)) >= DAEMONS.length, 180_000).catch((error) => {
      throw new Error(`${error.message}\n${tarn.output()}`);
    });
    return await nightly('one process', round, api, dbUrl);
  } finally {
    tarn.child.kill('SIGTERM');
    await tarn.exited;
  }
}

async function topology(server: DisposablePostgres, round: number, killOne: boolean): Promise<Result> {
  const dbUrl = await freshDatabase(server, `topology_${round}_${killOne ? 'kill' : 'plain'}`);
  const prefix = `bench.topology.${Date.now().toString(36)}.`;
  await createTestTopics(ALL_TOPICS.map((t) => prefix + t), 3);
  let running: Topology | undefined;
  try {
    running = await startTopology({
      databaseUrl: dbUrl,
      kafkaBrokers: kafkaBrokers().join(','),
      topicPrefix: prefix,
      apis: 1,
      instances: Object.fromEntries(DOUBLED.map((name) => [name, 2])),
    });
    const t = running;
    const expected = t.daemons.length;
    await waitUntil(`the ${expected} daemon processes ready`, async () => (await fetch(`${t.apiUrls[0]}/health`)).ok && (await readyInstances(dbUrl)) >= expected, 180_000).catch(
      (error) => {
        throw new Error(`${error.message}\n${t.describe()}`);
      },
    );
    const worker = t.daemons.find((d) => d.role === 'transfer-worker')!;
    return await nightly(killOne ? 'topology, a worker killed' : 'topology', round, t.apiUrls[0], dbUrl, killOne ? async () => void (await t.kill(worker)) : undefined);
  } finally {
    await running?.close();
    await deleteTestTopics(prefix).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  // Production settings (fsync, synchronous_commit and full_page_writes on), as for every bench.
  process.env.TARN_PG_DURABLE = '1';
  const server = await startDisposablePostgres();
  const results: Result[] = [];
  try {
    const version = `PostgreSQL ${await value(server.url('postgres'), `SELECT current_setting('server_version') AS n`).catch(() => '?')}`;
    const settings = await durabilityOf(async (sql) => (await queryRows(server.url('postgres'), sql)) as Array<{ name: string; setting: string }>);
    console.log(
      `bench:topology: ${FILES} files of ${FILE_BYTES} bytes, 2 copies each (QOS=SAFE, QOS=FAST), ${ROUNDS} round(s); ${cpus().length} cores; ` +
        `${version} (${settings}), Kafka at ${kafkaBrokers().join(',')}, posix RSEs; transfers/lease_seconds=${LEASE_SECONDS}`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const run of [() => oneProcess(server, round), () => topology(server, round, false), () => topology(server, round, true)]) {
        const result = await run();
        results.push(result);
        console.log(
          `  round ${round}  ${result.shape.padEnd(26)} ${(FILES / result.seconds).toFixed(1).padStart(7)} files/s  ` +
            `(${result.seconds.toFixed(1)} s; upload and verification ${result.uploadSeconds.toFixed(1)} s)  ` +
            `load ${result.load[0].toFixed(2)} -> ${result.load[1].toFixed(2)}${result.note ? `  ${result.note}` : ''}`,
        );
      }
    }
    const best = (shape: Shape) => Math.max(...results.filter((r) => r.shape === shape).map((r) => FILES / r.seconds));
    const one = best('one process');
    console.log(
      `best: one process ${one.toFixed(1)} files/s; topology ${best('topology').toFixed(1)} files/s (${(best('topology') / one).toFixed(2)}x); ` +
        `with a worker killed half-way ${best('topology, a worker killed').toFixed(1)} files/s (${(best('topology, a worker killed') / one).toFixed(2)}x)`,
    );
  } finally {
    await server.remove();
  }
}

runBench(main);
