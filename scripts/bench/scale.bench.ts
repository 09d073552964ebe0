/**
 * `npm run bench:scale`: do Tarn's hot paths hold on a large catalogue? The same probes run twice on one database
 * of the benches' server (production settings): first on an empty catalogue, then after building, set-based, a
 * survey's catalogue of TARN_SCALE_REPLICAS (10,000,000) replicas on 20 RSEs, TARN_SCALE_DIDS (2,000,000) DIDs
 * (files in datasets of 100, datasets in containers of 100, each with metadata) and TARN_SCALE_RULES (100,000)
 * rules whose locks hold those replicas. The probes are what bench:rules, bench:api, bench:evaluator and
 * bench:reaper measure, on 10,000 files each:
 *  rule       a 2-copy rule over 5 RSEs on a new 10,000-file dataset (placement, locks, replicas, transfers);
 *  list       the replicas of that dataset (ReplicaService.listReplicas, every row read);
 *  register   10,000 new replicas announced in batches of 1,000 (ReplicaService.addReplicas);
 *  evaluate   10,000 files attached (10 attachments) to a dataset with a 2-copy rule, then evaluated;
 *  reap       10,000 tombstoned replicas deleted from a posix RSE by the reaper;
 * and, on the large catalogue, a metadata search over the survey's DIDs (an equality and a range filter, first
 * page of 100). It prints each figure beside its empty-catalogue value and the ratio, the build's time and the size
 * on disk per replica. Goals: every ratio <= 1.25, the search <= 0.2 s; it exits 1 when one is missed.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import type { Issuer } from '@tarn/core/auth/issuer.js';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { DidMetadataService } from '@tarn/core/dids/did-metadata.service.js';
import { collectRows } from '@tarn/core/dids/row-stream.js';
import { ReaperService, type ReaperSettings } from '@tarn/core/reaper/reaper.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { createBenchFiles } from './bench-files.js';
import { adminQuery, benchServerUrl, durabilityOf } from './bench-postgres.js';
import { createReapableRse, insertReapableReplicas, writeReapableFiles } from './bench-reap.js';
import { runBench } from './bench-run.js';

const knob = (name: string, fallback: number): number => {
  const value = Number(process.env[name] || fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a whole number > 0, not ${process.env[name]}`);
  return value;
};
const SIZE = {
  replicas: knob('TARN_SCALE_REPLICAS', 10_000_000),
  dids: knob('TARN_SCALE_DIDS', 2_000_000),
  rules: knob('TARN_SCALE_RULES', 100_000),
};
const PROBE_FILES = 10_000;
const ROUNDS = 3;
const SITES = 20;
const FILES_PER_DATASET = 100;
const DATASETS_PER_CONTAINER = 100;
/** Rows per statement while building: each is its own transaction, so the build resumes nothing but shows progress. */
const CHUNK = 500_000;
const GOALS = { ratio: 1.25, searchSeconds: 0.2 };
const REAPER: ReaperSettings = { batchSize: 1000, concurrency: 64, graceSeconds: 600, maxBatchesPerRse: Number.MAX_SAFE_INTEGER };

const SCOPE = 'user.bench';
const SURVEY = 'survey';
const USER: Issuer = { account: 'bench', admin: false };
const ROOT: Issuer = { account: 'root', admin: true };

interface Services {
  ds: DataSource;
  rules: RuleService;
  replicas: ReplicaService;
  dids: DidService;
  metadata: DidMetadataService;
  reevaluation: RuleReevaluationService;
  reaper: ReaperService;
  /** The posix RSE the reap probe deletes from, and its directory. */
  disk: { id: string; dir: string };
}

type Probe = 'rule' | 'list' | 'register' | 'evaluate' | 'reap';
const PROBES: Array<{ probe: Probe; what: string }> = [
  { probe: 'rule', what: `2-copy rule on a ${PROBE_FILES.toLocaleString('en')}-file dataset` },
  { probe: 'list', what: `list the replicas of ${PROBE_FILES.toLocaleString('en')} files` },
  { probe: 'register', what: `register ${PROBE_FILES.toLocaleString('en')} replicas (batches of 1,000)` },
  { probe: 'evaluate', what: `evaluate ${PROBE_FILES.toLocaleString('en')} attached files` },
  { probe: 'reap', what: `reap ${PROBE_FILES.toLocaleString('en')} replicas (posix)` },
];

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function count(ds: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await ds.query(sql, params))[0].n);
}

const fileNames = (prefix: string) => Array.from({ length: PROBE_FILES }, (_, i) => `${prefix}.${String(i).padStart(6, '0')}`);

const probeFiles = (ds: DataSource, prefix: string, dataset?: string, attached = false) => createBenchFiles(ds, SCOPE, prefix, PROBE_FILES, dataset, attached);

/** One round of every probe on fresh names (`tag`); seconds per probe. */
async function probeRound(s: Services, tag: string): Promise<Record<Probe, number>> {
  const { ds } = s;
  const dataset = `${tag}.rule`;
  await probeFiles(ds, `${dataset}.file`, dataset, true);
  await ds.query('ANALYZE dids, contents');
  let ruleId = '';
  const rule = await timed(async () => {
    [ruleId] = await s.rules.addRules(USER, { dids: [{ scope: SCOPE, name: dataset }], copies: 2, rseExpression: 'bench=true' });
  });
  const locks = await count(ds, `SELECT count(*) AS n FROM locks WHERE rule_id = $1`, [ruleId]);
  if (locks !== PROBE_FILES * 2) throw new Error(`rule ${ruleId} wrote ${locks} locks, expected ${PROBE_FILES * 2}`);

  // The copies arrived: the listing reads AVAILABLE replicas, as after a rule is OK.
  await ds.query(`UPDATE replicas SET state = 'A' WHERE scope = $1 AND name LIKE $2`, [SCOPE, `${dataset}.file.%`]);
  let listed = 0;
  const list = await timed(async () => {
    listed = (await collectRows(await s.replicas.listReplicas(USER, [{ scope: SCOPE, name: dataset }]))).length;
  });
  if (listed !== PROBE_FILES) throw new Error(`listed ${listed} files of ${dataset}, expected ${PROBE_FILES}`);

  const registered = await probeFiles(ds, `${tag}.register`);
  const register = await timed(async () => {
    for (let i = 0; i < registered.length; i += 1000) {
      await s.replicas.addReplicas(ROOT, 'BENCH_1', registered.slice(i, i + 1000).map((name) => ({ scope: SCOPE, name, bytes: 1_000_000 })));
    }
  });

  const attachTo = `${tag}.attach`;
  const attached = await probeFiles(ds, `${attachTo}.file`, attachTo);
  const [attachRule] = await s.rules.addRules(USER, { dids: [{ scope: SCOPE, name: attachTo }], copies: 2, rseExpression: 'bench=true' });
  for (let i = 0; i < attached.length; i += PROBE_FILES / 10) {
    await s.dids.attach(USER, [{ scope: SCOPE, name: attachTo, dids: attached.slice(i, i + PROBE_FILES / 10).map((name) => ({ scope: SCOPE, name })) }]);
  }
  const evaluate = await timed(async () => {
    for (;;) {
      const outcome = await s.reevaluation.evaluateNextDid();
      if (!outcome) break;
      if (!outcome.ok) throw outcome.error;
    }
  });
  const evaluated = await count(ds, `SELECT count(*) AS n FROM locks WHERE rule_id = $1`, [attachRule]);
  if (evaluated !== PROBE_FILES * 2) throw new Error(`evaluation wrote ${evaluated} locks, expected ${PROBE_FILES * 2}`);

  const doomed = fileNames(`${tag}.reap`);
  await writeReapableFiles(s.disk.dir, SCOPE, doomed);
  await insertReapableReplicas(ds, s.disk.id, SCOPE, doomed);
  let deleted = 0;
  const reap = await timed(async () => {
    for (const rse of await s.reaper.reapableRses(REAPER, [s.disk.id])) deleted += (await s.reaper.reapRse(rse, REAPER)).deleted;
  });
  if (deleted !== PROBE_FILES) throw new Error(`the reaper deleted ${deleted} of ${PROBE_FILES} replicas`);
  return { rule, list, register, evaluate, reap };
}

/** The best of ROUNDS rounds of each probe. */
async function probe(s: Services, phase: string): Promise<Record<Probe, number>> {
  const best = { rule: Infinity, list: Infinity, register: Infinity, evaluate: Infinity, reap: Infinity };
  for (let round = 1; round <= ROUNDS; round++) {
    const figures = await probeRound(s, `${phase}.${round}`);
    for (const p of Object.keys(best) as Probe[]) best[p] = Math.min(best[p], figures[p]);
  }
  return best;
}

async function setUp(ds: DataSource, dir: string): Promise<{ id: string; dir: string }> {
  await ds.query(`INSERT INTO accounts (account, account_type) VALUES ('bench', 'USER')`);
  await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'bench'), ($2, 'bench')`, [SCOPE, SURVEY]);
  for (let i = 1; i <= 5; i++) {
    const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [`BENCH_${i}`]);
    await ds.query(`INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, 'bench', 'true'::jsonb)`, [id]);
    await ds.query(
      `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan) VALUES ($1, 'root', $2, 1094, '/data', 'xrootd', 1, 1)`,
      [id, `bench${i}.example.org`],
    );
  }
  const id = await createReapableRse(ds, dir);
  await ds.query(
    `INSERT INTO rses (rse) SELECT 'SITE_' || lpad(i::text, 2, '0') FROM generate_series(1, $1) i`,
    [SITES],
  );
  await ds.query(`INSERT INTO rse_attributes (rse_id, key, value) SELECT id, 'site', 'true'::jsonb FROM rses WHERE rse LIKE 'SITE\\_%'`);
  return { id, dir };
}

/**
 * The survey's catalogue: files raw.<n> in datasets run.<d> (100 each) in containers night.<c> (100 each), with
 * metadata; replica k of file f on SITE_((f/100 + k) % 20 + 1) (one RSE per dataset and copy, as DATASET grouping
 * places them); rule q on dataset q % datasets, copy q / datasets, one OK lock per file holding that replica.
 */
async function build(ds: DataSource, log: (line: string) => void): Promise<number> {
  const datasets = Math.max(1, Math.floor(SIZE.dids / (FILES_PER_DATASET + 1 + 1 / DATASETS_PER_CONTAINER)));
  const files = datasets * FILES_PER_DATASET;
  const containers = Math.ceil(datasets / DATASETS_PER_CONTAINER);
  const perFile = Math.floor(SIZE.replicas / files);
  const extra = SIZE.replicas % files;
  if (perFile + (extra > 0 ? 1 : 0) > SITES) throw new Error(`${SIZE.replicas} replicas of ${files} files need more than ${SITES} RSEs each`);
  const rules = Math.min(SIZE.rules, datasets * (perFile + (extra > 0 ? 1 : 0)));
  // Every statement takes its chunk as $1..$2; the sizes are whole numbers computed here, written into the SQL.
  const [D, F, N, S] = [datasets, files, SITES, `'${SURVEY}'`];
  const chunked = async (what: string, total: number, sql: string) => {
    const started = performance.now();
    for (let lo = 0; lo < total; lo += CHUNK) {
      await ds.query(sql, [lo, Math.min(total, lo + CHUNK) - 1]);
      log(`  ${what}: ${Math.min(total, lo + CHUNK).toLocaleString('en')} of ${total.toLocaleString('en')} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  };
  const fileName = `'raw.' || lpad(f::text, 7, '0')`;
  const datasetName = (d: string) => `'run.' || lpad((${d})::text, 6, '0')`;
  const containerName = (d: string) => `'night.' || lpad(((${d}) / ${DATASETS_PER_CONTAINER})::text, 4, '0')`;
  // SITE_01..SITE_N by number: copy k of dataset d is on site (d + k) % N.
  const sites = `(SELECT id AS site_id, substr(rse, 6)::int - 1 AS site FROM rses WHERE rse LIKE 'SITE\\_%')`;
  const ruleId = (q: string) => `md5('survey-rule-' || (${q}))::uuid`;
  const started = performance.now();
  await chunked(
    'files',
    F,
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT ${S}, ${fileName}, 'bench', 'F', 16384 + f % 1000, lpad(to_hex(f), 8, '0'), md5(f::text) FROM generate_series($1::int, $2::int) f`,
  );
  await chunked(
    'datasets',
    D,
    `INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length)
     SELECT ${S}, ${datasetName('d')}, 'bench', 'D', false, ${FILES_PER_DATASET} * 16384, ${FILES_PER_DATASET} FROM generate_series($1::int, $2::int) d`,
  );
  await chunked(
    'containers',
    D,
    `INSERT INTO dids (scope, name, account, did_type, is_open)
     SELECT ${S}, ${containerName('d')}, 'bench', 'C', false FROM generate_series($1::int, $2::int) d WHERE d % ${DATASETS_PER_CONTAINER} = 0`,
  );
  await chunked(
    'contents (files in datasets)',
    F,
    `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5)
     SELECT ${S}, ${datasetName(`f / ${FILES_PER_DATASET}`)}, ${S}, ${fileName}, 'D', 'F', 16384 + f % 1000, lpad(to_hex(f), 8, '0'), md5(f::text)
       FROM generate_series($1::int, $2::int) f`,
  );
  await chunked(
    'contents (datasets in containers)',
    D,
    `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type)
     SELECT ${S}, ${containerName('d')}, ${S}, ${datasetName('d')}, 'C', 'D' FROM generate_series($1::int, $2::int) d`,
  );
  await chunked(
    'metadata of files',
    F,
    `INSERT INTO did_meta (scope, name, meta)
     SELECT ${S}, ${fileName}, jsonb_build_object('run_number', f / ${FILES_PER_DATASET}, 'exposure', (f::bigint * 7919) % 1000, 'filter', (ARRAY['g', 'r', 'i'])[f % 3 + 1])
       FROM generate_series($1::int, $2::int) f`,
  );
  await chunked(
    'metadata of datasets',
    D,
    `INSERT INTO did_meta (scope, name, meta) SELECT ${S}, ${datasetName('d')}, jsonb_build_object('run_number', d, 'datatype', 'raw') FROM generate_series($1::int, $2::int) d`,
  );
  // Replica k of file f exists for k < perFile, and for k = perFile when f < extra; rule q = k * D + dataset holds it.
  await chunked(
    'replicas',
    SIZE.replicas,
    `WITH r AS (SELECT r % ${F} AS f, r / ${F} AS k FROM generate_series($1::bigint, $2::bigint) r)
     INSERT INTO replicas (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt, tombstone)
     SELECT ${S}, ${fileName}, s.site_id, 16384 + f % 1000, lpad(to_hex(f), 8, '0'), md5(f::text), 'A',
            CASE WHEN k * ${D} + f / ${FILES_PER_DATASET} < ${rules} THEN 1 ELSE 0 END,
            CASE WHEN k * ${D} + f / ${FILES_PER_DATASET} < ${rules} THEN NULL ELSE now() + interval '30 days' END
       FROM r JOIN ${sites} s ON s.site = (f / ${FILES_PER_DATASET} + k) % ${N}`,
  );
  await chunked(
    'rules',
    rules,
    `INSERT INTO rules (id, account, scope, name, did_type, state, rse_expression, copies, grouping, locks_ok_cnt)
     SELECT ${ruleId('q')}, 'bench', ${S}, ${datasetName(`q % ${D}`)}, 'D', 'O', 'SITE_' || lpad(((q % ${D} + q / ${D}) % ${N} + 1)::text, 2, '0'), 1, 'D', ${FILES_PER_DATASET}
       FROM generate_series($1::int, $2::int) q`,
  );
  await chunked(
    'dataset locks',
    rules,
    `INSERT INTO dataset_locks (scope, name, rule_id, rse_id, account, state, length, bytes)
     SELECT ${S}, ${datasetName(`q % ${D}`)}, ${ruleId('q')}, s.site_id, 'bench', 'O', ${FILES_PER_DATASET}, ${FILES_PER_DATASET} * 16384
       FROM generate_series($1::int, $2::int) q JOIN ${sites} s ON s.site = (q % ${D} + q / ${D}) % ${N}`,
  );
  await chunked(
    'locks',
    rules * FILES_PER_DATASET,
    `WITH l AS (SELECT x / ${FILES_PER_DATASET} AS q, (x / ${FILES_PER_DATASET}) % ${D} * ${FILES_PER_DATASET} + x % ${FILES_PER_DATASET} AS f
                  FROM generate_series($1::bigint, $2::bigint) x)
     INSERT INTO locks (scope, name, rule_id, rse_id, account, bytes, state)
     SELECT ${S}, ${fileName}, ${ruleId('q')}, s.site_id, 'bench', 16384 + f % 1000, 'O'
       FROM l JOIN ${sites} s ON s.site = (f / ${FILES_PER_DATASET} + q / ${D}) % ${N}`,
  );
  // As autovacuum leaves a catalogue that grew over months: statistics, hint bits and the visibility map set, and
  // the build's writes flushed, so that the probes do not pay for the bulk load.
  log(`  VACUUM ANALYZE, CHECKPOINT`);
  await ds.query('VACUUM (ANALYZE)');
  await ds.query('CHECKPOINT');
  const seconds = (performance.now() - started) / 1000;
  log(
    `built ${files.toLocaleString('en')} files, ${datasets.toLocaleString('en')} datasets, ${containers.toLocaleString('en')} containers, ` +
      `${SIZE.replicas.toLocaleString('en')} replicas, ${rules.toLocaleString('en')} rules (${(rules * FILES_PER_DATASET).toLocaleString('en')} locks) in ${seconds.toFixed(0)} s`,
  );
  return files;
}

/** A metadata search over the survey: one run (equality) and an exposure range, first page; best of ROUNDS. */
async function search(s: Services, files: number): Promise<{ seconds: number; found: number }> {
  let seconds = Infinity;
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const run = Math.floor(((round + 1) * files) / (ROUNDS + 1) / FILES_PER_DATASET);
    const filters = { run_number: run, 'exposure.gte': 500 };
    const took = await timed(async () => {
      found = (await collectRows(await s.metadata.search(USER, SURVEY, { filters, type: 'file', limit: 100 }))).length;
    });
    if (found === 0) throw new Error(`the search ${JSON.stringify(filters)} found nothing in ${SURVEY}`);
    seconds = Math.min(seconds, took);
  }
  return { seconds, found };
}

async function main(): Promise<void> {
  const server = benchServerUrl();
  const name = `tarn_bench_scale_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const ds = createDataSource({ url: url.toString(), applicationName: 'tarn-bench', poolSize: 10 });
  const dir = await mkdtemp(join(tmpdir(), 'tarn-bench-scale-'));
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  const log = (line: string) => console.error(line);
  try {
    await ds.initialize();
    await runMigrations(ds);
    const disk = await setUp(ds, dir);
    @Global()
    @Module({ providers: [{ provide: DataSource, useValue: ds }], exports: [DataSource] })
    class BenchDatabaseModule {}
    @Module({ imports: [BenchDatabaseModule, RuleDaemonsModule, DidsModule, ReplicasModule] })
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const s: Services = {
      ds,
      rules: app.get(RuleService),
      replicas: app.get(ReplicaService),
      dids: app.get(DidService),
      metadata: app.get(DidMetadataService),
      reevaluation: app.get(RuleReevaluationService),
      reaper: new ReaperService(ds),
      disk,
    };
    const [{ version }] = await ds.query(`SELECT current_setting('server_version') AS version`);
    const loadBefore = loadavg()[0];

    await probeRound(s, 'warm'); // connections, prepared plans, the RSE expression cache
    await ds.query('VACUUM (ANALYZE)'); // both phases measured with fresh statistics
    log('probes on the empty catalogue');
    const empty = await probe(s, 'empty');
    log(`building the large catalogue (${CHUNK.toLocaleString('en')} rows per statement)`);
    const files = await build(ds, log);
    const [{ bytes }] = await ds.query(`SELECT pg_database_size(current_database()) AS bytes`);
    const [{ replicaBytes }] = await ds.query(
      `SELECT pg_total_relation_size('replicas') + pg_total_relation_size('locks') AS "replicaBytes"`,
    );
    const replicas = await count(ds, `SELECT count(*) AS n FROM replicas`);
    log('probes on the large catalogue');
    const large = await probe(s, 'large');
    const found = await search(s, files);

    console.log(
      `scale bench: PostgreSQL ${version} (${await durabilityOf((sql) => ds.query(sql))}), Node ${process.version}; best of ${ROUNDS} rounds per probe; ` +
        `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`,
    );
    console.log(
      `catalogue: ${replicas.toLocaleString('en')} replicas, ${SIZE.dids.toLocaleString('en')} DIDs, ${SIZE.rules.toLocaleString('en')} rules; ` +
        `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB on disk, ${Math.round(Number(bytes) / replicas)} bytes per replica ` +
        `(replicas and locks with their indexes: ${Math.round(Number(replicaBytes) / replicas)})`,
    );
    const missed: string[] = [];
    console.log(`${'probe'.padEnd(48)} ${'empty'.padStart(9)} ${'large'.padStart(9)}  ratio`);
    for (const { probe: p, what } of PROBES) {
      const ratio = large[p] / empty[p];
      const ok = ratio <= GOALS.ratio;
      if (!ok) missed.push(`${p} at ${ratio.toFixed(2)}x`);
      console.log(`${what.padEnd(48)} ${`${empty[p].toFixed(3)} s`.padStart(9)} ${`${large[p].toFixed(3)} s`.padStart(9)}  ${ratio.toFixed(2)}x ${ok ? 'ok' : 'MISSED'}`);
    }
    const searchOk = found.seconds <= GOALS.searchSeconds;
    if (!searchOk) missed.push(`search took ${found.seconds.toFixed(3)} s`);
    console.log(
      `metadata search over the survey's DIDs (run_number = n, exposure >= 500, files, first page): ${found.seconds.toFixed(3)} s, ${found.found} found   ` +
        `goal <= ${GOALS.searchSeconds} s ${searchOk ? 'ok' : 'MISSED'}`,
    );
    console.log(`goals: every ratio <= ${GOALS.ratio}x`);
    if (missed.length > 0) {
      console.error(`goal missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await app?.close();
    if (ds.isInitialized) await ds.destroy();
    if (!process.env.TARN_SCALE_KEEP) await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    else log(`kept database ${name}`);
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
