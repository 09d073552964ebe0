/**
 * `npm run bench:stall`: can one request stall Tarn? All of Tarn in one process as embedded mode runs it (the API and
 * every daemon, on a fresh embedded PostgreSQL), and a separate process asking GET /ping every 10 ms. Each bulk route
 * (@BulkBody) gets the largest request it takes (10,000 items, or the route's own lower limit, within 4 MiB) over
 * 10,000-file datasets; while it runs, the slowest /ping and the longest event-loop delay of the Tarn process are taken.
 * Goal: the slowest /ping <= 100 ms under every route. A bulk route without a request here counts as missed.
 * TARN_STALL_ROUTES (a regular expression) runs only the routes it matches, e.g. 'POST /rules'.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { AccountService, AuthenticationService } from '@tarn/core';
import { lfn2pfn } from '@tarn/domain';
import { REQUEST_LIMITS } from '../../apps/api/src/http/request-limits.js';
import { routeTable } from '../../apps/api/src/http/route-table.js';
import { startBenchApi } from './bench-api.js';
import { runBench } from './bench-run.js';

const GOAL_MS = 100;
const ITEMS = REQUEST_LIMITS.listItems;
const SCOPE = 'user.bench';
const PASSWORD = 'bench-password';
const sets = ['read', 'state', 'bad', 'suspicious', 'baddids', 'tombstone', 'badpfns', 'meta'] as const;
type FileSet = (typeof sets)[number];

Object.assign(process.env, { TARN_METRICS_PORT: '0' });

interface BenchRequest {
  method: string;
  path: string;
  body: string;
  items: number;
}

const names = (set: FileSet, count: number = ITEMS) => Array.from({ length: count }, (_, i) => `${set}.${String(i).padStart(6, '0')}`);
const dids = (set: FileSet, count: number = ITEMS) => names(set, count).map((name) => ({ scope: SCOPE, name }));
let unique = 0;
const fresh = (prefix: string) => `${prefix}.${Date.now().toString(36)}.${++unique}`;

/** One file set of 10,000 files per route that changes them, each with an AVAILABLE replica on BENCH_A, in a dataset of its own. */
async function setUp(ds: DataSource, storage: string): Promise<void> {
  await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'root')`, [SCOPE]);
  for (const rse of ['BENCH_A', 'BENCH_B']) {
    mkdirSync(join(storage, rse));
    const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [rse]);
    await ds.query(
      `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan, delete_wan, read_lan, write_lan, delete_lan)
       VALUES ($1, 'file', 'localhost', 0, $2, 'rucio.rse.protocols.posix.Default', 1, 1, 1, 1, 1, 1)`,
      [id, join(storage, rse)],
    );
  }
  for (const set of sets) {
    await ds.query(
      `INSERT INTO dids (scope, name, account, did_type, bytes, adler32) SELECT $1::varchar, n, 'root', 'F', 1000, '0b4c01a1' FROM unnest($2::varchar[]) AS n`,
      [SCOPE, names(set)],
    );
    await ds.query(`INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length) VALUES ($1, $2, 'root', 'D', true, $3, $4)`, [SCOPE, `ds.${set}`, ITEMS * 1000, ITEMS]);
    await ds.query(
      `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32)
       SELECT $1::varchar, $2::varchar, scope, name, 'D', 'F', bytes, adler32 FROM dids WHERE scope = $1 AND name LIKE $3`,
      [SCOPE, `ds.${set}`, `${set}.%`],
    );
    await ds.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, adler32, state, tombstone)
       SELECT d.scope, d.name, r.id, d.bytes, d.adler32, 'A', NULL FROM dids d, rses r WHERE d.scope = $1 AND d.name LIKE $2 AND r.rse = 'BENCH_A'`,
      [SCOPE, `${set}.%`],
    );
  }
  await ds.query('ANALYZE');
}

/** The largest request each bulk route takes: `n` items (the route's list limit). */
function requests(storage: string): Record<string, (n: number) => BenchRequest> {
  const pfn = (name: string) => lfn2pfn({ scheme: 'file', hostname: 'localhost', port: 0, prefix: join(storage, 'BENCH_A') }, SCOPE, name);
  const json = (method: string, path: string, body: unknown, items: number): BenchRequest => ({ method, path, body: JSON.stringify(body), items });
  return {
    'POST /replicas': (n) => {
      const files = Array.from({ length: n }, () => ({ scope: SCOPE, name: fresh('new'), bytes: 1000, adler32: '0b4c01a1' }));
      return json('POST', '/replicas', { rse: 'BENCH_B', files }, n);
    },
    'PUT /replicas': (n) => json('PUT', '/replicas', { rse: 'BENCH_A', files: dids('state', n).map((d) => ({ ...d, state: 'AVAILABLE' })) }, n),
    'POST /replicas/list': (n) => json('POST', '/replicas/list', { dids: dids('read', n) }, n),
    'POST /replicas/bad': (n) => json('POST', '/replicas/bad', { replicas: dids('bad', n).map((d) => ({ ...d, rse: 'BENCH_A' })), reason: 'bench' }, n),
    'POST /replicas/suspicious': (n) => json('POST', '/replicas/suspicious', { pfns: names('suspicious', n).map(pfn), reason: 'bench' }, n),
    'POST /replicas/bad/dids': (n) => json('POST', '/replicas/bad/dids', { rse: 'BENCH_A', dids: dids('baddids', n), reason: 'bench' }, n),
    'POST /replicas/bad/pfns': (n) => json('POST', '/replicas/bad/pfns', { pfns: names('badpfns', n).map(pfn), reason: 'bench' }, n),
    'POST /replicas/tombstone': (n) => json('POST', '/replicas/tombstone', { replicas: dids('tombstone', n).map((d) => ({ ...d, rse: 'BENCH_A' })) }, n),
    'POST /replicas/dids': (n) => json('POST', '/replicas/dids', { pfns: names('read', n).map(pfn), rse: 'BENCH_A' }, n),
    'POST /replicas/datasets_bulk': (n) =>
      json('POST', '/replicas/datasets_bulk', { dids: Array.from({ length: n }, (_, i) => ({ scope: SCOPE, name: `ds.${sets[i % sets.length]}` })) }, n),
    'POST /dids': (n) => json('POST', '/dids', Array.from({ length: n }, () => ({ scope: SCOPE, name: fresh('ds'), type: 'DATASET' })), n),
    'POST /dids/attachments': (n) => json('POST', '/dids/attachments', { attachments: [{ scope: SCOPE, name: 'ds.attachments', dids: dids('read', n) }] }, n),
    'POST /dids/bulkdidsmeta': (n) => json('POST', '/dids/bulkdidsmeta', { dids: dids('meta', n).map((d, i) => ({ ...d, meta: { run: i, night: '20261121' } })) }, n),
    'POST /dids/bulkmeta': (n) => json('POST', '/dids/bulkmeta', { dids: dids('read', n) }, n),
    'POST /dids/bulkfiles': (n) => json('POST', '/dids/bulkfiles', { dids: dids('read', n) }, n),
    'POST /dids/{scope}/{name}': (n) => json('POST', `/dids/${SCOPE}/${fresh('with')}`, { type: 'DATASET', dids: dids('read', n) }, n),
    'POST /dids/{scope}/{name}/dids': (n) => json('POST', `/dids/${SCOPE}/ds.attach/dids`, { dids: dids('read', n) }, n),
    'DELETE /dids/{scope}/{name}/dids': (n) => json('DELETE', `/dids/${SCOPE}/ds.read/dids`, { dids: dids('read', n) }, n),
    'POST /rules': (n) => json('POST', '/rules', { dids: dids('read', n), copies: 1, rse_expression: 'BENCH_B' }, n),
    'POST /locks/bulk_locks_for_dids': (n) => json('POST', '/locks/bulk_locks_for_dids', { dids: dids('read', n) }, n),
  };
}

/** GET /ping every 10 ms from another process; each answer's latency, with when it came. */
function startPinger(url: string): { samples: Array<[number, number]>; stop(): void } {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    setInterval(() => {
      const started = process.hrtime.bigint();
      http.get(${JSON.stringify(`${url}/ping`)}, { agent }, (res) => {
        res.resume();
        res.on('end', () => process.stdout.write(Date.now() + ' ' + Number(process.hrtime.bigint() - started) / 1e6 + '\\n'));
      });
    }, 10);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const samples: Array<[number, number]> = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [at, ms] = line.split(' ').map(Number);
      samples.push([at, ms]);
    }
  });
  return { samples, stop: () => child.kill() };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(url: string, token: string, req: BenchRequest): Promise<{ status: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${url}${req.path}`,
      { method: req.method, agent, headers: { 'X-Rucio-Auth-Token': token, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(req.body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, answer: Buffer.concat(chunks).subarray(0, 300).toString() }));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

async function main(): Promise<void> {
  const storage = mkdtempSync(join(tmpdir(), 'tarn-stall-'));
  const api = await startBenchApi('stall', { daemons: true });
  const pinger = startPinger(api.url);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  try {
    await api.app.get(AccountService).ensureRootAccount(PASSWORD);
    const { token } = await api.app.get(AuthenticationService).authenticateUserpass('root', 'root', PASSWORD);
    await setUp(api.catalogue.dataSource, storage);
    for (const dataset of ['ds.attach', 'ds.attachments']) await send(api.url, token, { method: 'POST', path: `/dids/${SCOPE}/${dataset}`, body: '{"type": "DATASET"}', items: 0 });
    const builders = requests(storage);
    const only = new RegExp(process.env.TARN_STALL_ROUTES ?? '.');
    const bulkRoutes = routeTable(api.app).filter((r) => r.bodyLimits.bytes === REQUEST_LIMITS.bulkBodyBytes && only.test(`${r.method} ${r.path}`));
    const loadBefore = loadavg()[0];
    const rows: string[] = [];
    const missed: string[] = [];
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the pinger's first answers, the daemons' first passes
    // What the machine gives without any request: the same measures over 3 s of quiet.
    const quietFrom = Date.now();
    loopDelay.reset();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const quiet = pinger.samples.filter(([at]) => at >= quietFrom).map(([, ms]) => ms);
    rows.push(`${'(no request: the baseline)'.padEnd(36)} ${''.padStart(26)}            slowest /ping ${Math.max(0, ...quiet).toFixed(0).padStart(5)} ms   event loop held ${(loopDelay.max / 1e6).toFixed(0).padStart(5)} ms`);
    for (const route of bulkRoutes) {
      const key = `${route.method} ${route.path}`;
      const build = builders[key];
      if (!build) {
        rows.push(`${key.padEnd(36)} no request in scripts/bench/stall.bench.ts`);
        missed.push(`${key}: no request`);
        continue;
      }
      const req = build(route.bodyLimits.listItems);
      const started = Date.now();
      loopDelay.reset();
      const startedUs = process.hrtime.bigint() / 1000n;
      const answer = await send(api.url, token, req);
      const seconds = (Date.now() - started) / 1000;
      if (process.env.TARN_STALL_WINDOWS) console.log(`window ${key} ${startedUs} ${process.hrtime.bigint() / 1000n}`);
      const loopMs = loopDelay.max / 1e6;
      await new Promise((resolve) => setTimeout(resolve, 150)); // the last pings of the window arrive
      const during = pinger.samples.filter(([at, ms]) => at >= started && at - ms <= started + seconds * 1000);
      const slowest = Math.max(0, ...during.map(([, ms]) => ms));
      const ok = slowest <= GOAL_MS && answer.status < 500;
      if (!ok) missed.push(`${key}: slowest /ping ${slowest.toFixed(0)} ms, ${answer.status}`);
      rows.push(
        `${key.padEnd(36)} ${String(req.items).padStart(6)} items ${(req.body.length / 1024 / 1024).toFixed(2).padStart(5)} MiB  ${answer.status}  ` +
          `${seconds.toFixed(2).padStart(6)} s   slowest /ping ${slowest.toFixed(0).padStart(5)} ms   event loop held ${loopMs.toFixed(0).padStart(5)} ms   ${ok ? 'ok' : 'MISSED'}` +
          `${answer.status >= 400 ? `   ${answer.answer.slice(0, 120)}` : ''}`,
      );
    }
    console.log(
      `stall bench: all of Tarn in one process (API and every daemon) on a fresh embedded PostgreSQL ${api.catalogue.version} (${api.catalogue.settings}), Node ${process.version}, ` +
        `${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} at the end; /ping every 10 ms from another process`,
    );
    for (const row of rows) console.log(row);
    console.log(`goal: slowest /ping <= ${GOAL_MS} ms while each bulk route's largest request runs`);
    if (missed.length > 0) {
      console.error(`goal missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    pinger.stop();
    agent.destroy();
    await api.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

runBench(main);
