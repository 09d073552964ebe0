/**
 * `npm run bench:rules`: the hot paths of rule evaluation and replica registration on a fresh embedded
 * PostgreSQL with default settings (fsync on), in a temporary directory removed afterwards.
 *  (a) seconds to add a 2-copy rule over a 5-RSE expression on a 10,000-file dataset (the whole service call:
 *      placement, 20,000 locks, 20,000 COPYING replicas, 20,000 queued transfers and their events, usage);
 *  (b) seconds for a raw COPY of the same rows into the same tables (the limit), and the ratio a/b;
 *  (d) replicas registered (announced for verification) per second through ReplicaService.addReplicas, 100,000 in
 *      batches of 1,000.
 * (a) and (b) are measured in interleaved rounds on fresh datasets; the best round counts. It runs the compiled
 * build, so it measures the code Tarn runs. Exits non-zero when a goal is missed.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startBenchCatalogue } from './bench-catalogue.js';
import type { Issuer } from '@tarn/core/auth/issuer.js';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { createBenchFiles } from './bench-files.js';
import { runBench } from './bench-run.js';

const FILES = 10_000;
const COPIES = 2;
const RSES = 5;
const ROUNDS = 3;
const REGISTER_TOTAL = 100_000;
const REGISTER_BATCH = 1_000;
const GOALS = { ruleSeconds: 2, ruleVsCopy: 3, registerPerSecond: 10_000 };

const USER: Issuer = { account: 'bench', admin: false };
const SCOPE = 'user.bench';

/** A COPY ... FROM STDIN for pg's Client without pg-copy-streams: sends the whole text as CopyData. */
class CopyFrom {
  readonly text: string;
  private error: Error | null = null;
  private settle!: { resolve: () => void; reject: (error: Error) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(sql: string, private readonly data: string) {
    this.text = sql;
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(Buffer.from(this.data, 'utf8'));
    connection.endCopyFrom();
  }

  handleError(error: Error): void {
    this.error = error;
  }

  handleReadyForQuery(): void {
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

async function copy(client: Client, sql: string, rows: string[]): Promise<void> {
  const command = new CopyFrom(sql, rows.join('\n') + '\n');
  client.query(command as never);
  await command.done;
}

/** Files (and, when `dataset` is given, a dataset holding them), analysed. */
async function createFiles(ds: DataSource, prefix: string, count: number, dataset?: string): Promise<string[]> {
  const names = await createBenchFiles(ds, SCOPE, prefix, count, dataset, true);
  await ds.query('ANALYZE');
  return names;
}

async function setUp(ds: DataSource): Promise<string[]> {
  await ds.query(`INSERT INTO accounts (account, account_type) VALUES ('bench', 'USER')`);
  await ds.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'bench')`, [SCOPE]);
  const ids: string[] = [];
  for (let i = 1; i <= RSES; i++) {
    const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ($1) RETURNING id`, [`BENCH_${i}`]);
    await ds.query(`INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, 'bench', 'true'::jsonb)`, [id]);
    await ds.query(
      `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan)
       VALUES ($1, 'root', $2, 1094, '/data', 'xrootd', 1, 1)`,
      [id, `bench${i}.example.org`],
    );
    ids.push(id);
  }
  return ids;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

async function count(ds: DataSource, sql: string, params: unknown[]): Promise<number> {
  return Number((await ds.query(sql, params))[0].n);
}

/** (a): the whole service call, checked to have written what it should. */
async function measureRule(ds: DataSource, rules: RuleService, round: number): Promise<number> {
  const dataset = `bench.rule.${round}`;
  await createFiles(ds, `${dataset}.file`, FILES, dataset);
  const [[ruleId], seconds] = await timed(() => rules.addRules(USER, { dids: [{ scope: SCOPE, name: dataset }], copies: COPIES, rseExpression: 'bench=true' }));
  const locks = await count(ds, `SELECT count(*) AS n FROM locks WHERE rule_id = $1`, [ruleId]);
  const requests = await count(ds, `SELECT count(*) AS n FROM requests WHERE rule_id = $1`, [ruleId]);
  const replicas = await count(ds, `SELECT count(*) AS n FROM replicas WHERE scope = $1 AND name LIKE $2`, [SCOPE, `${dataset}.file.%`]);
  const expected = FILES * COPIES;
  if (locks !== expected || requests !== expected || replicas !== expected) {
    throw new Error(`rule ${ruleId} wrote ${locks} locks, ${replicas} replicas, ${requests} requests; expected ${expected} of each`);
  }
  return seconds;
}

/** (b): the same number of rows into the same tables with COPY, in one transaction. */
async function measureCopy(url: string, rseIds: string[], round: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const ruleId = randomUUID();
    const prefix = `bench.copy.${round}.file`;
    const [, seconds] = await timed(async () => {
      const locks: string[] = [];
      const replicas: string[] = [];
      const requests: string[] = [];
      for (let i = 0; i < FILES; i++) {
        const name = `${prefix}.${String(i).padStart(6, '0')}`;
        for (let c = 0; c < COPIES; c++) {
          const rse = rseIds[(i + c) % rseIds.length];
          locks.push(`${SCOPE}\t${name}\t${ruleId}\t${rse}\tbench\t1000000\tR`);
          replicas.push(`${SCOPE}\t${name}\t${rse}\t1000000\t0000abcd\t${'0'.repeat(32)}\tC\t1`);
          requests.push(`T\t${SCOPE}\t${name}\tF\t${rse}\tQ\t${ruleId}\tdefault\tbench\t1000000\t0000abcd\t${'0'.repeat(32)}\t3`);
        }
      }
      await client.query('BEGIN');
      await copy(client, `COPY locks (scope, name, rule_id, rse_id, account, bytes, state) FROM STDIN`, locks);
      await copy(client, `COPY replicas (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt) FROM STDIN`, replicas);
      await copy(
        client,
        `COPY requests (request_type, scope, name, did_type, dest_rse_id, state, rule_id, activity, account, bytes, adler32, md5, priority) FROM STDIN`,
        requests,
      );
      await client.query('COMMIT');
    });
    return seconds;
  } finally {
    await client.end();
  }
}

/** (d): registration of new replicas in batches through the service; returns replicas per second. */
async function measureRegistration(ds: DataSource, replicas: ReplicaService): Promise<number> {
  const names = await createFiles(ds, 'bench.register.file', REGISTER_TOTAL);
  const admin: Issuer = { account: 'root', admin: true };
  const [, seconds] = await timed(async () => {
    for (let start = 0; start < names.length; start += REGISTER_BATCH) {
      const batch = names.slice(start, start + REGISTER_BATCH).map((name) => ({ scope: SCOPE, name, bytes: 1_000_000 }));
      await replicas.addReplicas(admin, 'BENCH_1', batch);
    }
  });
  // Registered replicas wait (COPYING) for the replica-registrar to verify them on storage, which is not timed here.
  const registered = await count(
    ds,
    `SELECT count(*) AS n FROM replicas r JOIN replica_verifications v USING (scope, name, rse_id)
      WHERE r.scope = $1 AND r.name LIKE 'bench.register.file.%' AND r.state = 'C'`,
    [SCOPE],
  );
  if (registered !== REGISTER_TOTAL) throw new Error(`registered ${registered} replicas awaiting verification, expected ${REGISTER_TOTAL}`);
  return REGISTER_TOTAL / seconds;
}

async function main(): Promise<void> {
  const catalogue = await startBenchCatalogue('rules');
  const { dataSource, version } = catalogue;
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    const rseIds = await setUp(dataSource);

    @Module({ imports: [catalogue.module, RulesModule, ReplicasModule] })
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const rules = app.get(RuleService);
    const replicas = app.get(ReplicaService);

    // Warm-up: connections, prepared plans and the RSE expression cache.
    await measureRule(dataSource, rules, 0);
    let ruleBest = Infinity;
    let copyBest = Infinity;
    for (let round = 1; round <= ROUNDS; round++) {
      ruleBest = Math.min(ruleBest, await measureRule(dataSource, rules, round));
      copyBest = Math.min(copyBest, await measureCopy(catalogue.url, rseIds, round));
    }
    const rate = await measureRegistration(dataSource, replicas);

    const ratio = ruleBest / copyBest;
    const rows = FILES * COPIES;
    console.log(
      `rules bench: embedded PostgreSQL ${version} (${catalogue.settings}, fresh), Node ${process.version}, best of ${ROUNDS} rounds`,
    );
    console.log(`(a) add rule: ${COPIES} copies over ${RSES} RSEs on a ${FILES.toLocaleString('en')}-file dataset ` +
      `(${rows} locks + ${rows} replicas + ${rows} requests): ${ruleBest.toFixed(3)} s   goal <= ${GOALS.ruleSeconds} s ${ruleBest <= GOALS.ruleSeconds ? 'ok' : 'MISSED'}`);
    console.log(`(b) raw COPY FROM STDIN (pg Client, CopyData) of the same ${rows * 3} rows into locks, replicas, requests: ${copyBest.toFixed(3)} s`);
    console.log(`(c) ratio a/b: ${ratio.toFixed(2)}x   goal <= ${GOALS.ruleVsCopy}x ${ratio <= GOALS.ruleVsCopy ? 'ok' : 'MISSED'}`);
    console.log(`(d) register ${REGISTER_TOTAL.toLocaleString('en')} replicas in batches of ${REGISTER_BATCH} through ReplicaService.addReplicas: ` +
      `${Math.round(rate).toLocaleString('en')} replicas/s   goal >= ${GOALS.registerPerSecond.toLocaleString('en')}/s ${rate >= GOALS.registerPerSecond ? 'ok' : 'MISSED'}`);
    const missed: string[] = [];
    if (ruleBest > GOALS.ruleSeconds) missed.push(`rule creation took ${ruleBest.toFixed(3)} s (goal ${GOALS.ruleSeconds} s)`);
    if (ratio > GOALS.ruleVsCopy) missed.push(`rule creation at ${ratio.toFixed(2)}x raw COPY (goal ${GOALS.ruleVsCopy}x)`);
    if (rate < GOALS.registerPerSecond) missed.push(`registration at ${Math.round(rate)} replicas/s (goal ${GOALS.registerPerSecond})`);
    if (missed.length > 0) {
      console.error(`goal missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await app?.close();
    await catalogue.close();
  }
}

runBench(main);
