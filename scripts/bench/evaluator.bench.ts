/**
 * `npm run bench:evaluator`: the rule evaluator (re-evaluation after attach).
 *  (a) latency in Kafka mode: 10 files attached to a dataset with two rules (2 copies over 5 RSEs, 1 copy over 2
 *      others) every ~200 ms while the messenger publishes the outbox to Kafka and the evaluator loop is woken by
 *      did.attached through its consumer group (its sweep interval 60 s, so only events count); attach commit ->
 *      the 30 transfer requests queued, p50/p99;
 *  (b) throughput: 10,000 files attached (10 attachments of 1,000) to a dataset with the same two rules, then
 *      evaluated: seconds, files/s and locks/s;
 *  (c) the limit it is compared with: the same two rules created on a dataset already holding 10,000 files
 *      (placement from scratch, in the request), and the ratio b/c.
 * Its own database (a fresh one on the benches' server with production settings, see bench-postgres.ts, or TARN_BENCH_DATABASE_URL's), its
 * own Kafka topic prefix (deleted afterwards), the broker of KAFKA_BROKERS (default 127.0.0.1:9092). It runs the
 * compiled build. Exits non-zero when the latency goal (p50 <= 1 s) is missed.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { ALL_TOPICS, createKafkaClient, ensureKafkaTopics, KafkaEventBus, silentLogger } from '@tarn/events';
import type { Issuer } from '@tarn/core/auth/issuer.js';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { KafkaOutboxPublisher } from '../../apps/messenger/src/kafka-outbox.publisher.js';
import { loadMessengerSettings } from '../../apps/messenger/src/messenger.config.js';
import { MessengerWorker } from '../../apps/messenger/src/messenger.worker.js';
import { adminQuery, benchServerUrl, durabilityOf } from './bench-postgres.js';
import { RuleEvaluatorWorker } from '../../apps/rule-evaluator/src/rule-evaluator.worker.js';
import { createBenchFiles } from './bench-files.js';
import { runBench } from './bench-run.js';

const SCOPE = 'user.bench';
const USER: Issuer = { account: 'bench', admin: false };
const RULES = [
  { copies: 2, rseExpression: 'bench=true' },
  { copies: 1, rseExpression: 'tier=2' },
];
const LOCKS_PER_FILE = RULES.reduce((sum, r) => sum + r.copies, 0);
const THROUGHPUT_FILES = 10_000;
const THROUGHPUT_ATTACHES = 10;
const LATENCY_SAMPLES = 60;
/** The first attachment after start also pays for connections (the messenger's producer): measured apart. */
const WARM_UP = 1;
const LATENCY_FILES = 10;
const GOAL_P50_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function setUp(ds: DataSource): Promise<void> {
  await ds.query(`INSERT INTO accounts (account, account_type) VALUES ('bench', 'USER')`);
  await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'bench')`, [SCOPE]);
  for (let i = 1; i <= 7; i++) {
    const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [`BENCH_${i}`]);
    const [key, value] = i <= 5 ? ['bench', 'true'] : ['tier', '2'];
    await ds.query(`INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, $2, $3::jsonb)`, [id, key, value]);
  }
}

/** Files (and an open dataset, holding them when `attached`), analysed. */
async function createFiles(ds: DataSource, prefix: string, count: number, dataset?: string, attached = false): Promise<string[]> {
  const names = await createBenchFiles(ds, SCOPE, prefix, count, dataset, attached);
  await ds.query('ANALYZE');
  return names;
}

async function addRules(rules: RuleService, dataset: string): Promise<string[]> {
  return rules.addRules(USER, RULES.map((r) => ({ dids: [{ scope: SCOPE, name: dataset }], ...r })));
}

async function count(ds: DataSource, sql: string, params: unknown[]): Promise<number> {
  return Number((await ds.query(sql, params))[0].n);
}

/** (b) and (c): seconds to evaluate 10,000 attached files under two rules, and to create the rules over them. */
async function throughput(ds: DataSource, rules: RuleService, dids: DidService, reevaluation: RuleReevaluationService): Promise<{ evaluate: number; create: number }> {
  const dataset = 'bench.attach';
  const names = await createFiles(ds, `${dataset}.file`, THROUGHPUT_FILES, dataset);
  const ruleIds = await addRules(rules, dataset);
  const per = THROUGHPUT_FILES / THROUGHPUT_ATTACHES;
  for (let i = 0; i < THROUGHPUT_FILES; i += per) {
    await dids.attach(USER, [{ scope: SCOPE, name: dataset, dids: names.slice(i, i + per).map((name) => ({ scope: SCOPE, name })) }]);
  }
  await ds.query('ANALYZE');
  const started = process.hrtime.bigint();
  for (;;) {
    const outcome = await reevaluation.evaluateNextDid();
    if (!outcome) break;
    if (!outcome.ok) throw outcome.error;
  }
  const evaluate = Number(process.hrtime.bigint() - started) / 1e9;
  const locks = await count(ds, `SELECT count(*) AS n FROM locks WHERE rule_id = ANY($1::uuid[])`, [ruleIds]);
  if (locks !== THROUGHPUT_FILES * LOCKS_PER_FILE) throw new Error(`evaluation wrote ${locks} locks, expected ${THROUGHPUT_FILES * LOCKS_PER_FILE}`);

  const full = 'bench.full';
  await createFiles(ds, `${full}.file`, THROUGHPUT_FILES, full, true);
  const createdAt = process.hrtime.bigint();
  const created = await addRules(rules, full);
  const create = Number(process.hrtime.bigint() - createdAt) / 1e9;
  const createdLocks = await count(ds, `SELECT count(*) AS n FROM locks WHERE rule_id = ANY($1::uuid[])`, [created]);
  if (createdLocks !== THROUGHPUT_FILES * LOCKS_PER_FILE) throw new Error(`rule creation wrote ${createdLocks} locks`);
  return { evaluate, create };
}

/** (a): attach commit -> transfer requests queued, with the evaluator woken through Kafka. */
async function latency(ds: DataSource, rules: RuleService, dids: DidService, reevaluation: RuleReevaluationService, brokers: string[], prefix: string): Promise<{ warmUp: number[]; samples: number[] }> {
  const dataset = 'bench.latency';
  const names = await createFiles(ds, `${dataset}.file`, (WARM_UP + LATENCY_SAMPLES) * LATENCY_FILES, dataset);
  await addRules(rules, dataset);
  const runners: DaemonRunner[] = [];
  // The messenger creates the topics at its first publish; the consumer group must find them when it joins.
  await ensureKafkaTopics(createKafkaClient(brokers, 'tarn-bench-evaluator-setup'), ALL_TOPICS.map((t) => prefix + t));
  const bus = new KafkaEventBus({ brokers, topicPrefix: prefix, logger: silentLogger, consumer: { maxWaitTimeInMs: 100 } });
  try {
    const messenger = new MessengerWorker(ds, new KafkaOutboxPublisher({ brokers, topicPrefix: prefix }), loadMessengerSettings({}), silentLogger);
    const evaluator = new RuleEvaluatorWorker(reevaluation, bus, { intervalMs: 60_000, passBudgetMs: 2_000, claimLimit: 10_000 }, silentLogger);
    for (const worker of [messenger, evaluator]) {
      const runner = new DaemonRunner(worker, { dataSource: ds, metrics: new DaemonMetrics(), logger: silentLogger });
      runners.push(runner);
      void runner.start();
    }
    if (!(await evaluator.eventWake.ready())) throw new Error(`the evaluator cannot subscribe to Kafka at ${brokers.join(',')}`);
    await sleep(2000);
    const samples: number[] = [];
    for (let s = 0; s < WARM_UP + LATENCY_SAMPLES; s++) {
      const batch = names.slice(s * LATENCY_FILES, (s + 1) * LATENCY_FILES);
      await dids.attach(USER, [{ scope: SCOPE, name: dataset, dids: batch.map((name) => ({ scope: SCOPE, name })) }]);
      const committed = performance.now();
      const deadline = committed + 30_000;
      while ((await count(ds, `SELECT count(*) AS n FROM requests WHERE scope = $1 AND name = ANY($2::varchar[])`, [SCOPE, batch])) < LATENCY_FILES * LOCKS_PER_FILE) {
        if (performance.now() > deadline) throw new Error(`attachment ${s}: requests not queued within 30 s`);
        await sleep(2);
      }
      samples.push(performance.now() - committed);
      await sleep(100 + Math.random() * 200);
    }
    return { warmUp: samples.slice(0, WARM_UP), samples: samples.slice(WARM_UP).sort((x, y) => x - y) };
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await bus.close();
  }
}

async function main(): Promise<void> {
  const server = benchServerUrl();
  const name = `tarn_bench_evaluator_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim());
  const prefix = `bench.evaluator.${randomBytes(4).toString('hex')}.`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const dataSource = createDataSource({ url: url.toString(), applicationName: 'tarn-bench', poolSize: 20 });
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    await setUp(dataSource);
    @Global()
    @Module({ providers: [{ provide: DataSource, useValue: dataSource }], exports: [DataSource] })
    class BenchDatabaseModule {}
    @Module({ imports: [BenchDatabaseModule, RuleDaemonsModule, DidsModule] })
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const rules = app.get(RuleService);
    const dids = app.get(DidService);
    const reevaluation = app.get(RuleReevaluationService);

    const { evaluate, create } = await throughput(dataSource, rules, dids, reevaluation);
    const { warmUp, samples } = await latency(dataSource, rules, dids, reevaluation, brokers, prefix);
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
    const locks = THROUGHPUT_FILES * LOCKS_PER_FILE;
    console.log(`evaluator bench: PostgreSQL ${version} (${await durabilityOf((sql) => dataSource.query(sql))}), Kafka at ${brokers.join(',')}, Node ${process.version}; two rules per dataset (${RULES.map((r) => `${r.copies} x '${r.rseExpression}'`).join(', ')})`);
    console.log(
      `(a) attach -> requests queued, Kafka mode (${LATENCY_SAMPLES} attachments of ${LATENCY_FILES} files, evaluator woken by did.attached): ` +
        `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms   goal p50 <= ${GOAL_P50_MS} ms ${p50 <= GOAL_P50_MS ? 'ok' : 'MISSED'}` +
        ` (the first attachment after start, which waits for the messenger's Kafka producer to connect, not counted: ${warmUp.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
    );
    console.log(
      `(b) evaluate ${THROUGHPUT_FILES.toLocaleString('en')} attached files (${THROUGHPUT_ATTACHES} attachments, ${locks.toLocaleString('en')} locks, replicas, requests): ` +
        `${evaluate.toFixed(3)} s = ${Math.round(THROUGHPUT_FILES / evaluate).toLocaleString('en')} files/s, ${Math.round(locks / evaluate).toLocaleString('en')} locks/s`,
    );
    console.log(`(c) limit: the same two rules created on a dataset already holding ${THROUGHPUT_FILES.toLocaleString('en')} files: ${create.toFixed(3)} s; ratio b/c ${(evaluate / create).toFixed(2)}x`);
    if (p50 > GOAL_P50_MS) {
      console.error(`goal missed: attach -> requests queued p50 ${p50.toFixed(0)} ms (goal ${GOAL_P50_MS} ms)`);
      process.exitCode = 1;
    }
  } finally {
    await app?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    const admin = createKafkaClient(brokers, 'tarn-bench-evaluator-admin').admin();
    await admin
      .connect()
      .then(async () => {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      })
      .catch(() => undefined)
      .finally(() => admin.disconnect());
  }
}

runBench(main);
