/**
 * `npm run bench:transfers`: the transfer engine (submitter -> built-in transfer worker -> finisher), each
 * running as its own loop as the daemons do, in one process.
 *  (a) one 1 GiB file posix -> posix through Tarn (rule created -> rule OK: copied by the kernel and flushed
 *      as it is written, its adler32 computed meanwhile, fsynced, verified, renamed; the replica AVAILABLE), beside `cp` + `fsync` of the same file (the
 *      limit, as Tarn's copy is fsynced before it is AVAILABLE; goal >= 0.9x of its speed), alternately,
 *      TARN_BENCH_TRANSFER_ROUNDS times (default 3);
 *  (b) a rule of 1,000 x 1 MB files posix -> S3 (S3 server of scripts/services/s3.sh or TARN_TEST_S3_*), from
 *      rule creation to OK, in files/s (goal >= 200/s), beside the S3 server's own rate for 1 MB PUTs (before and
 *      after);
 *  (c), (d) root:// -> root:// between the two XRootD servers of scripts/services/xrootd.sh, streamed and
 *      third-party, beside xrdcp of the same files (scripts/bench/bench-xrootd.ts).
 * Each figure is printed with its limit and the 1-minute load average it was measured at (the machine may be
 * shared: run it several times and compare best and median); (a) also prints cp without fsync.
 * Its own database on the benches' server with production settings (bench-postgres.ts; or TARN_BENCH_DATABASE_URL), its own temporary
 * directories and bucket, all removed afterwards. Knobs: TARN_BENCH_TRANSFER_CONCURRENCY (default 32),
 * TARN_BENCH_TRANSFER_PARTS (a,c: which parts run).
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { ChecksumSet } from '@tarn/checksums';
import { WakeableSleep } from '@tarn/events';
import { deterministicPath, RuleState } from '@tarn/domain';
import type { Issuer } from '@tarn/core/auth/issuer.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferFinisherService } from '@tarn/core/transfers/transfer-finisher.service.js';
import { TransferSubmitterService } from '@tarn/core/transfers/transfer-submitter.service.js';
import { TransferWorkerService } from '@tarn/core/transfers/transfer-worker.service.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createStorage } from '@tarn/storage';
import { inParallel } from '@tarn/testing/in-parallel.js';
import { createTestBucket, createTestDirectory, type TestStorageArea } from '@tarn/testing/storage.js';
import { daemonLoop } from './bench-loops.js';
import { adminQuery, benchServerUrl, durabilityOf } from './bench-postgres.js';
import { xrootdBench } from './bench-xrootd.js';
import { benchProtocol } from './bench-storage.js';
import { repositoryRoot } from './bench-run.js';

const SCOPE = 'user.bench';
const USER: Issuer = { account: 'bench', admin: false };
const BIG = 1024 * 1024 * 1024;
const SMALL_FILES = 1000;
const SMALL = 1_000_000;
const CONCURRENCY = Number(process.env.TARN_BENCH_TRANSFER_CONCURRENCY || 32);
const GOAL_RATIO = 0.9;
const ROUNDS = Number(process.env.TARN_BENCH_TRANSFER_ROUNDS || 3);
const GOAL_FILES_PER_SECOND = 200;
/** Which parts run: a (posix -> posix and posix -> S3, (a) and (b)), c (XRootD, (c) and (d)); default both. */
const PARTS = new Set((process.env.TARN_BENCH_TRANSFER_PARTS || 'a,c').split(',').map((p) => p.trim()));

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

interface Services {
  rules: RuleService;
  submitter: TransferSubmitterService;
  worker: TransferWorkerService;
  finisher: TransferFinisherService;
}

async function register(ds: DataSource, rseId: string, dataset: string, files: Array<{ name: string; bytes: number; adler32: string; md5: string }>): Promise<void> {
  const names = files.map((f) => f.name);
  await ds.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT $1::varchar, u.name, 'bench', 'F', u.bytes, u.adler32, u.md5 FROM unnest($2::varchar[], $3::bigint[], $4::varchar[], $5::varchar[]) AS u(name, bytes, adler32, md5)`,
    [SCOPE, names, files.map((f) => f.bytes), files.map((f) => f.adler32), files.map((f) => f.md5)],
  );
  await ds.query(
    `INSERT INTO replicas (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt)
     SELECT $1::varchar, u.name, $2, u.bytes, u.adler32, u.md5, 'A', 0 FROM unnest($3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[]) AS u(name, bytes, adler32, md5)`,
    [SCOPE, rseId, names, files.map((f) => f.bytes), files.map((f) => f.adler32), files.map((f) => f.md5)],
  );
  const total = files.reduce((s, f) => s + f.bytes, 0);
  await ds.query(`INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length) VALUES ($1, $2, 'bench', 'D', true, $3, $4)`, [SCOPE, dataset, total, files.length]);
  await ds.query(
    `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5)
     SELECT $1, $2, $1, u.name, 'D', 'F', u.bytes, u.adler32, u.md5 FROM unnest($3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[]) AS u(name, bytes, adler32, md5)`,
    [SCOPE, dataset, names, files.map((f) => f.bytes), files.map((f) => f.adler32), files.map((f) => f.md5)],
  );
}

/**
 * Runs the three daemons' loops until the rule is OK; returns the seconds from `start`. A loop goes on at once
 * after a pass that did work and wakes the next daemon, as the event its work wrote would in a deployment; an
 * idle loop looks again after a while of its own (the finisher often: a worker's pass reports its copies as they
 * finish, not only at its end). Idle polling is kept rare so that it does not take the CPU the copies need on a
 * small machine. The rule's state is read after each pass of the finisher that finished something.
 */
async function untilOk(ds: DataSource, s: Services, ruleId: string, start: bigint): Promise<number> {
  let finished = false;
  // A wake that comes during a pass is kept for the next sleep (WakeableSleep).
  const submitter = new WakeableSleep();
  const worker = new WakeableSleep();
  const finisher = new WakeableSleep();
  const checker = new WakeableSleep();
  const loop = (wakeup: WakeableSleep, idleMs: number, pass: () => Promise<number>, next: WakeableSleep) =>
    daemonLoop(() => !finished, wakeup, idleMs, async () => {
      const items = await pass();
      return { items, full: items > 0 };
    }, [next]);
  submitter.wake(); // the rule was just created
  const loops = [
    loop(submitter, 100, async () => (await s.submitter.submitBatch(1000)).submitted, worker),
    loop(worker, 100, async () => (await s.worker.runBatch({ limit: CONCURRENCY * 8, concurrency: CONCURRENCY })).taken, finisher),
    loop(
      finisher,
      20,
      async () => {
        const o = await s.finisher.finishBatch(1000);
        return o.done + o.retried + o.stuck;
      },
      checker,
    ),
  ];
  try {
    for (;;) {
      const [{ state, stuck }] = await ds.query(`SELECT state, locks_stuck_cnt::int AS stuck FROM rules WHERE id = $1`, [ruleId]);
      if (state === RuleState.OK) return seconds(start);
      if (stuck > 0 || state === RuleState.STUCK) {
        const errors = await ds.query(`SELECT err_msg FROM requests_history WHERE rule_id = $1 AND state = 'F' LIMIT 3`, [ruleId]);
        throw new Error(`rule ${ruleId} is ${state}: ${errors.map((e: { err_msg: string }) => e.err_msg).join(' | ')}`);
      }
      await checker.sleep(100);
    }
  } finally {
    finished = true;
    submitter.wake();
    worker.wake();
    finisher.wake();
    await Promise.all(loops);
  }
}

/**
 * The 1 GiB file (adler32, Rucio's checksum, as most experiments register it; an md5 given too would be
 * computed as well) copied ROUNDS times through Tarn, each to its own posix RSE, and with cp, alternately
 * (the machine is shared: the best and the median of each are reported).
 */
interface BigFileFigures {
  tarn: number[];
  cp: number[];
  /** cp, then fsync of its copy (coreutils `sync FILE`): what a durable cp costs, for context. */
  cpSync: number[];
  /** The 1-minute load average at each Tarn copy. */
  load: number[];
}

async function bigFile(ds: DataSource, s: Services, src: { id: string; root: string }, dsts: Array<{ id: string; rse: string; root: string }>): Promise<BigFileFigures> {
  const name = 'big.0001';
  const file = path.join(src.root, deterministicPath(SCOPE, name));
  await mkdir(path.dirname(file), { recursive: true });
  const sums = await ChecksumSet.create(['adler32']);
  const out = createWriteStream(file);
  const chunk = 64 * 1024 * 1024;
  for (let written = 0; written < BIG; written += chunk) {
    const data = randomBytes(chunk);
    sums.update(data);
    if (!out.write(data)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const { adler32 } = sums.result();
  await ds.query(`INSERT INTO dids (scope, name, account, did_type, bytes, adler32) VALUES ($1, $2, 'bench', 'F', $3, $4)`, [SCOPE, name, BIG, adler32]);
  await ds.query(`INSERT INTO replicas (scope, name, rse_id, bytes, adler32, state, lock_cnt) VALUES ($1, $2, $3, $4, $5, 'A', 0)`, [SCOPE, name, src.id, BIG, adler32]);
  execFileSync('sync');
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // both read it from the page cache

  const figures: BigFileFigures = { tarn: [], cp: [], cpSync: [], load: [] };
  const { tarn, cp } = figures;
  for (const dst of dsts) {
    const copy = path.join(dst.root, 'cp-copy');
    let start = process.hrtime.bigint();
    execFileSync('cp', [file, copy]);
    cp.push(seconds(start));
    execFileSync('sync', [copy]);
    figures.cpSync.push(seconds(start));
    await rm(copy);
    execFileSync('sync');

    figures.load.push(loadavg()[0]);
    start = process.hrtime.bigint();
    const [ruleId] = await s.rules.addRules(USER, { dids: [{ scope: SCOPE, name }], copies: 1, rseExpression: dst.rse });
    tarn.push(await untilOk(ds, s, ruleId, start));
    // The copy goes again (the next round must copy from the source, not from this one).
    await ds.query(`UPDATE replicas SET state = 'U' WHERE scope = $1 AND name = $2 AND rse_id = $3`, [SCOPE, name, dst.id]);
    await rm(path.join(dst.root, deterministicPath(SCOPE, name)));
    execFileSync('sync');
  }
  return figures;
}

/** The limit of (b): 1 MB PUTs straight through the storage layer to the same S3 server, same concurrency. */
async function rawS3(area: TestStorageArea): Promise<number> {
  const storage = createStorage(area.protocol);
  const data = randomBytes(SMALL);
  const count = 300;
  const start = process.hrtime.bigint();
  await inParallel([...Array(count).keys()], CONCURRENCY, (i) => storage.write(`raw/${i}`, Readable.from([data]), { bytes: SMALL }));
  const rate = count / seconds(start);
  await storage.close();
  return rate;
}

async function smallFiles(ds: DataSource, s: Services, src: { id: string; root: string }, dst: { rse: string }): Promise<number> {
  const base = randomBytes(SMALL);
  const files = [];
  for (let i = 0; i < SMALL_FILES; i++) {
    const content = Buffer.from(base);
    content.writeUInt32BE(i, 0);
    const sums = await ChecksumSet.create(['adler32', 'md5']);
    sums.update(content);
    const { adler32, md5 } = sums.result();
    const name = `small.${String(i).padStart(5, '0')}`;
    const file = path.join(src.root, deterministicPath(SCOPE, name));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    files.push({ name, bytes: SMALL, adler32: adler32!, md5: md5! });
  }
  await register(ds, src.id, 'small', files);
  const start = process.hrtime.bigint();
  const [ruleId] = await s.rules.addRules(USER, { dids: [{ scope: SCOPE, name: 'small' }], copies: 1, rseExpression: dst.rse });
  return untilOk(ds, s, ruleId, start);
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  if (!process.env.TARN_TEST_S3_ENDPOINT) execFileSync('bash', [path.join(root, 'scripts/services/s3.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('bash', [path.join(root, 'scripts/services/xrootd.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const server = benchServerUrl();
  const name = `tarn_bench_transfers_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const dataSource = createDataSource({ url: url.toString(), applicationName: 'tarn-bench', poolSize: 20 });
  const areas: TestStorageArea[] = [];
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    await dataSource.query(`INSERT INTO accounts (account, account_type) VALUES ('bench', 'USER')`);
    await dataSource.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'bench')`, [SCOPE]);
    @Global()
    @Module({ providers: [{ provide: DataSource, useValue: dataSource }], exports: [DataSource] })
    class BenchDatabaseModule {}
    @Module({ imports: [BenchDatabaseModule, RuleDaemonsModule, TransfersModule] })
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const services: Services = {
      rules: app.get(RuleService),
      submitter: app.get(TransferSubmitterService),
      worker: app.get(TransferWorkerService),
      finisher: app.get(TransferFinisherService),
    };
    const srcArea = await createTestDirectory();
    const s3Area = await createTestBucket();
    areas.push(srcArea, s3Area);
    const posix = 'rucio.rse.protocols.posix.Default';
    const src = await createRse(dataSource, { rse: 'BENCH_SRC', protocols: [benchProtocol(srcArea, posix)] });
    const dsts: Array<{ id: string; rse: string; root: string }> = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const area = await createTestDirectory();
      areas.push(area);
      const rse = await createRse(dataSource, { rse: `BENCH_DST_${i}`, protocols: [benchProtocol(area, posix)] });
      dsts.push({ id: rse.id, rse: rse.rse, root: area.root });
    }
    const s3 = await createRse(dataSource, { rse: 'BENCH_S3', protocols: [benchProtocol(s3Area, 'rucio.rse.protocols.s3.Default')] });

    if (PARTS.has('a')) {
      const loadBefore = loadavg();
      const big = await bigFile(dataSource, services, { id: src.id, root: srcArea.root }, dsts);
      await rm(path.join(srcArea.root, deterministicPath(SCOPE, 'big.0001')));
      const rawBefore = await rawS3(s3Area);
      const smallLoad = loadavg()[0];
      const small = await smallFiles(dataSource, services, { id: src.id, root: srcArea.root }, { rse: s3.rse });
      const rawAfter = await rawS3(s3Area);
      const raw = (rawBefore + rawAfter) / 2;
      const loadAfter = loadavg();
      const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
      const rateOf = (t: number) => `${(BIG / t / 1024 / 1024).toFixed(0)} MiB/s`;
      const best = (xs: number[]) => Math.min(...xs);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const ratio = best(big.cpSync) / best(big.tarn);
      const rate = SMALL_FILES / small;
      console.log(`transfers bench: PostgreSQL ${version} (${await durabilityOf((sql) => dataSource.query(sql))}), Node ${process.version}, worker concurrency ${CONCURRENCY}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`);
      const list = (xs: number[]) => xs.map((t) => t.toFixed(2)).join(', ');
      console.log(
        `(a) 1 GiB posix -> posix, rule created -> OK (copied in the kernel and flushed as it is written, adler32 of the source meanwhile on ${Math.max(1, availableParallelism() - 1)} of ${availableParallelism()} core(s), fsynced, size and adler32 verified, replica AVAILABLE), ${ROUNDS} rounds at load ${list(big.load)}:\n` +
          `    Tarn ${list(big.tarn)} s (best ${rateOf(best(big.tarn))}, median ${rateOf(median(big.tarn))})\n` +
          `    limit: cp + fsync of the same file ${list(big.cpSync)} s (best ${rateOf(best(big.cpSync))}, median ${rateOf(median(big.cpSync))}); for context, cp without fsync ${list(big.cp)} s\n` +
          `    Tarn/(cp + fsync) speed: best/best ${ratio.toFixed(2)}x, median/median ${(median(big.cpSync) / median(big.tarn)).toFixed(2)}x   goal >= ${GOAL_RATIO}x ${ratio >= GOAL_RATIO ? 'ok' : 'MISSED'}; ` +
          `vs cp without fsync: best/best ${(best(big.cp) / best(big.tarn)).toFixed(2)}x, median/median ${(median(big.cp) / median(big.tarn)).toFixed(2)}x`,
      );
      console.log(
        `(b) rule of ${SMALL_FILES.toLocaleString('en')} x 1 MB files posix -> s3, created -> OK, at load ${smallLoad.toFixed(2)}: ${small.toFixed(2)} s = ${rate.toFixed(0)} files/s   goal >= ${GOAL_FILES_PER_SECOND}/s ${rate >= GOAL_FILES_PER_SECOND ? 'ok' : 'MISSED'}\n` +
          `    limit: 1 MB PUTs to that S3 server straight through the storage layer, ${CONCURRENCY} at once: ${rawBefore.toFixed(0)}/s before, ${rawAfter.toFixed(0)}/s after (Tarn at ${(rate / raw).toFixed(2)}x of their mean)`,
      );
    }
    if (PARTS.has('c')) {
      const xrootd = await xrootdBench({
        ds: dataSource,
        scope: SCOPE,
        concurrency: CONCURRENCY,
        register: (rseId, dataset, files) => register(dataSource, rseId, dataset, files),
        replicate: async (did, rse, source) => {
          const [scope, name] = did.split(':');
          const start = process.hrtime.bigint();
          const [ruleId] = await services.rules.addRules(USER, { dids: [{ scope, name }], copies: 1, rseExpression: rse, sourceReplicaExpression: source });
          return untilOk(dataSource, services, ruleId, start);
        },
        areas,
      });
      for (const line of xrootd) console.log(line);
    }
  } finally {
    await app?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    for (const area of areas) await area.drop().catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
