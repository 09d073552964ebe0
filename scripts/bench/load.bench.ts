/**
 * `npm run bench:load`: what one API process takes at once. The API runs as its own process (`node dist/apps/api/src/main.js`)
 * on a fresh embedded PostgreSQL with its default, production settings; this process sends it, all at the same time:
 * - TARN_LOAD_FLOWS (1,000) upload-shaped flows, each the stock client's sequence for one file: log in
 *   (GET /auth/userpass), check the DID (GET /dids/{scope}/{name}, 404), register the replica (POST /replicas, COPYING),
 *   add a rule (POST /rules), mark it written (PUT /replicas, AVAILABLE);
 * - TARN_LOAD_LISTINGS (100) replica listings (POST /replicas/list) of datasets of TARN_LOAD_DATASET_FILES (10,000) files.
 * Prints the errors (goal 0), p50/p99 latency per call, the API process's peak memory, and whether every flow's file
 * ended with its DID, replica and rule (nothing half-registered).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNumber } from '@tarn/config';
import { freePort } from '@tarn/testing/disposable-postgres.js';
import { startBenchCatalogue } from './bench-catalogue.js';
import { repositoryRoot, runBench } from './bench-run.js';

const FLOWS = envNumber(process.env, 'TARN_LOAD_FLOWS', 1000, { integer: true });
const LISTINGS = envNumber(process.env, 'TARN_LOAD_LISTINGS', 100, { integer: true });
const DATASET_FILES = envNumber(process.env, 'TARN_LOAD_DATASET_FILES', 10_000, { integer: true });
const DATASETS = 10;
const SCOPE = 'user.load';
const RSE = 'LOAD_A';
const PASSWORD = 'load-bench-password';

const agent = new Agent({ keepAlive: true, maxSockets: FLOWS + LISTINGS });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done, fail) => {
    const req = httpRequest(`${url}${path}`, { method, agent, headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

const latencies = new Map<string, number[]>();
const errors: string[] = [];

/** A call that must answer `expected`; its latency is recorded under `label`. */
async function timed(label: string, expected: number, send: () => Promise<Answer>): Promise<Answer | null> {
  const started = performance.now();
  try {
    const answer = await send();
    (latencies.get(label) ?? latencies.set(label, []).get(label)!).push(performance.now() - started);
    if (answer.status !== expected) {
      errors.push(`${label}: ${answer.status} ${answer.body.slice(0, 160)}`);
      return null;
    }
    return answer;
  } catch (error) {
    errors.push(`${label}: ${(error as Error).message}`);
    return null;
  }
}

async function uploadFlow(url: string, i: number): Promise<void> {
  const name = `night.${String(i).padStart(6, '0')}.fits`;
  const login = await timed('GET /auth/userpass', 200, () => call(url, 'GET', '/auth/userpass', { 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'root', 'X-Rucio-Password': PASSWORD }));
  const token = login?.headers['x-rucio-auth-token'];
  if (typeof token !== 'string') return;
  const auth = { 'X-Rucio-Auth-Token': token };
  if (!(await timed('GET /dids/{scope}/{name}', 404, () => call(url, 'GET', `/dids/${SCOPE}/${name}`, auth)))) return;
  const file = { scope: SCOPE, name, bytes: 1024, adler32: '0b4c01a1', state: 'C' };
  if (!(await timed('POST /replicas', 201, () => call(url, 'POST', '/replicas', auth, { rse: RSE, files: [file] })))) return;
  if (!(await timed('POST /rules', 201, () => call(url, 'POST', '/rules', auth, { dids: [{ scope: SCOPE, name }], copies: 1, rse_expression: RSE })))) return;
  await timed('PUT /replicas', 200, () => call(url, 'PUT', '/replicas', auth, { rse: RSE, files: [{ scope: SCOPE, name, state: 'A' }] }));
}

async function listing(url: string, token: string, i: number): Promise<void> {
  const answer = await timed('POST /replicas/list', 200, () => call(url, 'POST', '/replicas/list', { 'X-Rucio-Auth-Token': token }, { dids: [{ scope: SCOPE, name: `ds.${i % DATASETS}` }] }));
  if (answer) {
    const files = answer.body.split('\n').filter(Boolean).length;
    if (files !== DATASET_FILES) errors.push(`POST /replicas/list: ${files} files instead of ${DATASET_FILES}`);
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function waitForApi(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before answering`);
    try {
      if ((await call(url, 'GET', '/ping', {})).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API did not answer /ping within 60 s');
}

async function main(): Promise<void> {
  const catalogue = await startBenchCatalogue('load');
  const storage = mkdtempSync(join(tmpdir(), 'tarn-load-rse-'));
  let api: ReturnType<typeof spawn> | null = null;
  try {
    const ds = catalogue.dataSource;
    const [{ id: rseId }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [RSE]);
    await ds.query(
      `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan, delete_wan, read_lan, write_lan, delete_lan)
       VALUES ($1, 'file', 'localhost', 0, $2, 'rucio.rse.protocols.posix.Default', 1, 1, 1, 1, 1, 1)`,
      [rseId, storage],
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, [join(repositoryRoot(), 'dist/apps/api/src/main.js')], {
      env: { ...process.env, DATABASE_URL: catalogue.url, TARN_HOST: '127.0.0.1', TARN_PORT: String(port), TARN_ROOT_PASSWORD: PASSWORD, TARN_METRICS_PORT: '0', TARN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForApi(url, api);
    // The API creates root on its first start; the scope is root's.
    await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'root')`, [SCOPE]);
    for (let d = 0; d < DATASETS; d++) {
      const names = Array.from({ length: DATASET_FILES }, (_, i) => `ds${d}.${String(i).padStart(6, '0')}`);
      await ds.query(`INSERT INTO dids (scope, name, account, did_type, bytes, adler32) SELECT $1::varchar, n, 'root', 'F', 1000, '0b4c01a1' FROM unnest($2::varchar[]) AS n`, [SCOPE, names]);
      await ds.query(`INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length) VALUES ($1, $2, 'root', 'D', true, $3, $4)`, [SCOPE, `ds.${d}`, DATASET_FILES * 1000, DATASET_FILES]);
      await ds.query(
        `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32)
         SELECT $1::varchar, $2::varchar, $1::varchar, n, 'D', 'F', 1000, '0b4c01a1' FROM unnest($3::varchar[]) AS n`,
        [SCOPE, `ds.${d}`, names],
      );
      await ds.query(`INSERT INTO replicas (scope, name, rse_id, bytes, adler32, state) SELECT $1::varchar, n, $2, 1000, '0b4c01a1', 'A' FROM unnest($3::varchar[]) AS n`, [SCOPE, rseId, names]);
    }
    await ds.query('ANALYZE');
    const login = await call(url, 'GET', '/auth/userpass', { 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'root', 'X-Rucio-Password': PASSWORD });
    const token = String(login.headers['x-rucio-auth-token']);
    const loadBefore = loadavg()[0];
    const started = performance.now();
    await Promise.all([
      ...Array.from({ length: FLOWS }, (_, i) => uploadFlow(url, i)),
      ...Array.from({ length: LISTINGS }, (_, i) => listing(url, token, i)),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${api.pid}/status`, 'utf8'))?.[1];
    const [complete] = await ds.query(
      `SELECT count(*) FILTER (WHERE d.name IS NOT NULL)::int AS dids, count(*) FILTER (WHERE r.name IS NOT NULL)::int AS replicas,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rules u WHERE u.scope = d.scope AND u.name = d.name))::int AS rules
         FROM dids d LEFT JOIN replicas r ON r.scope = d.scope AND r.name = d.name
        WHERE d.scope = $1 AND d.name LIKE 'night.%'`,
      [SCOPE],
    );
    console.log(
      `load bench: one API process (Node ${process.version}) on a fresh embedded PostgreSQL ${catalogue.version} (${catalogue.settings}), ` +
        `${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`,
    );
    console.log(`${FLOWS} upload flows and ${LISTINGS} listings of ${DATASET_FILES}-file datasets, all at once: ${seconds.toFixed(1)} s`);
    for (const [label, values] of latencies) {
      console.log(`  ${label.padEnd(28)} ${String(values.length).padStart(5)} calls   p50 ${percentile(values, 50).toFixed(0).padStart(6)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(6)} ms`);
    }
    console.log(`API process peak memory (VmHWM): ${peak ? (Number(peak) / 1024).toFixed(0) : '?'} MiB`);
    console.log(`after: ${complete.dids} files registered, ${complete.replicas} with their replica, ${complete.rules} with their rule (of ${FLOWS} flows)`);
    console.log(`errors: ${errors.length} (goal 0)${errors.length ? `; first: ${errors.slice(0, 5).join(' | ')}` : ''}`);
    const halfDone = complete.dids !== complete.replicas || complete.dids !== complete.rules;
    if (errors.length > 0 || halfDone || complete.dids !== FLOWS) process.exitCode = 1;
  } finally {
    agent.destroy();
    if (api && api.exitCode === null) {
      const exited = new Promise((done) => api!.once('exit', done));
      api.kill('SIGTERM');
      await exited;
    }
    await catalogue.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

runBench(main);
