/**
 * `npm run bench:api` (the replica half): the API's replica routes over HTTP against the same work done directly
 * on the service layer, on a fresh embedded PostgreSQL (default settings, fsync on) in a temporary directory.
 *  (a) seconds to stream the replica list of a 10,000-file dataset (POST /replicas/list, NDJSON, read to the
 *      end), beside the same listing read from ReplicaService.listReplicas; goal <= 0.5 s over HTTP;
 *  (b) files per second registered through POST /replicas in requests of 1,000 files (new files, created by the
 *      registration as the stock client's upload does; the replicas announced, i.e. COPYING and queued for the
 *      replica-registrar's verification), beside ReplicaService.addReplicas with the same batches;
 *      goal >= 10,000 files/s over HTTP.
 * The ratios are the HTTP overhead. The real API module runs in-process on a free port of 127.0.0.1 and is called
 * with node:http over a keep-alive connection, one request at a time; registration batches alternate between HTTP
 * and the service. Exits non-zero when a goal is missed.
 */
import 'reflect-metadata';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { DataSource } from 'typeorm';
import { AccountService, AuthenticationService, type Issuer } from '@tarn/core';
import { ReplicaService } from '@tarn/core';
import { startBenchApi } from './bench-api.js';

const FILES = 10_000;
const LIST_ROUNDS = 5;
const REGISTER_FILES = 30_000;
const REGISTER_BATCH = 1_000;
const GOALS = { listSeconds: 0.5, registerPerSecond: 10_000 };
const SCOPE = 'user.bench';
const DATASET = 'bench.dataset';
const PASSWORD = 'bench-password';
const ROOT: Issuer = { account: 'root', admin: true };

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One request over a keep-alive connection (node:http, lighter than fetch: the client shares the CPU with the
 * server it measures); `onChunk` sees the answer's body as it arrives.
 */
function post(url: string, path: string, token: string, body: string, onChunk: (chunk: Buffer) => void = () => undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', agent, headers: { 'X-Rucio-Auth-Token': token, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const errors: Buffer[] = [];
      res.on('data', (chunk: Buffer) => (res.statusCode! < 300 ? onChunk(chunk) : errors.push(chunk)));
      res.on('end', () => (res.statusCode! < 300 ? resolve(res.statusCode!) : reject(new Error(`POST ${path} answered ${res.statusCode}: ${Buffer.concat(errors)}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

/** The scope, three RSEs with a read protocol, and a 10,000-file dataset with a replica of each file on BENCH_A. */
async function setUp(ds: DataSource): Promise<void> {
  await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'root')`, [SCOPE]);
  for (const rse of ['BENCH_A', 'BENCH_B', 'BENCH_C']) {
    const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [rse]);
    await ds.query(
      `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan, read_lan, write_lan)
       VALUES ($1, 'root', $2, 1094, '/data/', 'rucio.rse.protocols.xrootd.Default', 1, 1, 1, 1),
              ($1, 'https', $2, 443, '/webdav/', 'rucio.rse.protocols.webdav.Default', 2, 2, 2, 2)`,
      [id, `${rse.toLowerCase()}.example.org`],
    );
  }
  const names = Array.from({ length: FILES }, (_, i) => `${DATASET}.file.${String(i).padStart(6, '0')}`);
  await ds.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT $1::varchar, n, 'root', 'F', 1000000, lpad(to_hex(ord::int), 8, '0'), md5(n) FROM unnest($2::varchar[]) WITH ORDINALITY AS u(n, ord)`,
    [SCOPE, names],
  );
  await ds.query(`INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length) VALUES ($1, $2, 'root', 'D', true, $3, $4)`, [
    SCOPE,
    DATASET,
    FILES * 1_000_000,
    FILES,
  ]);
  await ds.query(
    `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5)
     SELECT $1::varchar, $2::varchar, d.scope, d.name, 'D', 'F', d.bytes, d.adler32, d.md5 FROM dids d WHERE d.scope = $1::varchar AND d.did_type = 'F'`,
    [SCOPE, DATASET],
  );
  await ds.query(
    `INSERT INTO replicas (scope, name, rse_id, bytes, adler32, md5, state)
     SELECT d.scope, d.name, r.id, d.bytes, d.adler32, d.md5, 'A' FROM dids d, rses r WHERE d.scope = $1 AND d.did_type = 'F' AND r.rse = 'BENCH_A'`,
    [SCOPE],
  );
  await ds.query('ANALYZE');
}

/** (a) over HTTP: the whole NDJSON answer read to its end; returns seconds and the number of lines. */
async function listOverHttp(url: string, token: string): Promise<[number, number]> {
  const body = JSON.stringify({ dids: [{ scope: SCOPE, name: DATASET }], all_states: false, resolve_archives: true, domain: null });
  const [lines, seconds] = await timed(async () => {
    let count = 0;
    await post(url, '/replicas/list', token, body, (chunk) => {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) count++;
    });
    return count;
  });
  return [seconds, lines];
}

/** (a) on the service: the same listing read from the cursor. */
async function listOnService(replicas: ReplicaService): Promise<[number, number]> {
  const [count, seconds] = await timed(async () => {
    let n = 0;
    for await (const file of await replicas.listReplicas(ROOT, [{ scope: SCOPE, name: DATASET }])) if (file.replicas.length > 0) n++;
    return n;
  });
  return [seconds, count];
}

const newFiles = (prefix: string, start: number) =>
  Array.from({ length: REGISTER_BATCH }, (_, i) => ({
    scope: SCOPE,
    name: `${prefix}.${String(start + i).padStart(6, '0')}`,
    bytes: 1_000_000,
    adler32: (start + i).toString(16).padStart(8, '0'),
    md5: null,
    meta: {},
  }));

/**
 * (b): the same batches of new files through HTTP (on BENCH_B) and through the service (on BENCH_C), interleaved
 * batch by batch so that both see the same catalogue size and the same machine. Request bodies are serialised
 * before the clock starts: the server's work is measured. Returns files per second of each.
 */
async function measureRegistration(url: string, token: string, replicas: ReplicaService): Promise<{ http: number; service: number; httpRequests: number[] }> {
  let httpSeconds = 0;
  let serviceSeconds = 0;
  const httpRequests: number[] = [];
  for (let start = 0; start < REGISTER_FILES; start += REGISTER_BATCH) {
    const body = JSON.stringify({ rse: 'BENCH_B', files: newFiles('bench.http', start), ignore_availability: true });
    const files = newFiles('bench.service', start);
    const seconds = (await timed(() => post(url, '/replicas', token, body)))[1];
    httpSeconds += seconds;
    httpRequests.push(REGISTER_BATCH / seconds);
    serviceSeconds += (await timed(() => replicas.addReplicas(ROOT, 'BENCH_C', files, { createMissingFiles: true })))[1];
  }
  return { http: REGISTER_FILES / httpSeconds, service: REGISTER_FILES / serviceSeconds, httpRequests };
}

/** Replicas registered on the RSE and waiting for the replica-registrar (COPYING, queued for verification). */
async function countReplicas(ds: DataSource, rse: string): Promise<number> {
  const [{ n }] = await ds.query(
    `SELECT count(*) AS n FROM replicas p JOIN rses r ON r.id = p.rse_id
       JOIN replica_verifications v ON v.scope = p.scope AND v.name = p.name AND v.rse_id = p.rse_id
      WHERE r.rse = $1 AND p.state = 'C'`,
    [rse],
  );
  return Number(n);
}

async function main(): Promise<void> {
  const api = await startBenchApi('api');
  const { app, url, catalogue } = api;
  const { dataSource, version } = catalogue;
  try {
    await app.get(AccountService).ensureRootAccount(PASSWORD);
    const { token } = await app.get(AuthenticationService).authenticateUserpass('root', 'root', PASSWORD);
    await setUp(dataSource);
    const replicas = app.get(ReplicaService);

    // Warm-up: connections, plans, JIT of the wire code.
    await listOverHttp(url, token);
    await listOnService(replicas);
    const listLoad = loadavg()[0];
    let httpList = Infinity;
    let serviceList = Infinity;
    for (let round = 0; round < LIST_ROUNDS; round++) {
      const [httpSeconds, lines] = await listOverHttp(url, token);
      const [serviceSeconds, files] = await listOnService(replicas);
      if (lines !== FILES || files !== FILES) throw new Error(`listed ${lines} lines over HTTP and ${files} files on the service; expected ${FILES}`);
      httpList = Math.min(httpList, httpSeconds);
      serviceList = Math.min(serviceList, serviceSeconds);
    }

    const registerLoad = loadavg()[0];
    const { http: httpRate, service: serviceRate, httpRequests } = await measureRegistration(url, token, replicas);
    const perRequest = [...httpRequests].sort((a, b) => b - a);
    for (const rse of ['BENCH_B', 'BENCH_C']) {
      const n = await countReplicas(dataSource, rse);
      if (n !== REGISTER_FILES) throw new Error(`${rse} holds ${n} replicas announced for verification after registration; expected ${REGISTER_FILES}`);
    }

    const fmt = (n: number) => Math.round(n).toLocaleString('en');
    console.log(
      `api bench (replicas): embedded PostgreSQL ${version} (fresh; ${catalogue.settings}), Node ${process.version}, API in-process on ${url}, ` +
        `${cpus().length} CPUs, load average ${listLoad.toFixed(2)} before (a), ${registerLoad.toFixed(2)} before (b), ${loadavg()[0].toFixed(2)} at the end`,
    );
    console.log(
      `(a) replica list of a ${fmt(FILES)}-file dataset, best of ${LIST_ROUNDS}: HTTP (POST /replicas/list, NDJSON read to the end) ${httpList.toFixed(3)} s, ` +
        `service (ReplicaService.listReplicas) ${serviceList.toFixed(3)} s, HTTP/service ${(httpList / serviceList).toFixed(2)}x   ` +
        `goal HTTP <= ${GOALS.listSeconds} s ${httpList <= GOALS.listSeconds ? 'ok' : 'MISSED'}`,
    );
    console.log(
      `(b) registration of ${fmt(REGISTER_FILES)} new files in requests of ${fmt(REGISTER_BATCH)}: HTTP (POST /replicas) ${fmt(httpRate)} files/s, ` +
        `service (ReplicaService.addReplicas) ${fmt(serviceRate)} files/s, service/HTTP ${(serviceRate / httpRate).toFixed(2)}x; ` +
        `per HTTP request best ${fmt(perRequest[0])}, median ${fmt(perRequest[Math.floor((perRequest.length - 1) / 2)])} files/s   ` +
        `goal HTTP >= ${fmt(GOALS.registerPerSecond)}/s ${httpRate >= GOALS.registerPerSecond ? 'ok' : 'MISSED'}`,
    );
    const missed: string[] = [];
    if (httpList > GOALS.listSeconds) missed.push(`replica list over HTTP took ${httpList.toFixed(3)} s (goal ${GOALS.listSeconds} s)`);
    if (httpRate < GOALS.registerPerSecond) missed.push(`registration over HTTP at ${fmt(httpRate)} files/s (goal ${fmt(GOALS.registerPerSecond)})`);
    if (missed.length > 0) {
      console.error(`goal missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    agent.destroy();
    await api.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
