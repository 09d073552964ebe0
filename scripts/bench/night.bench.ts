/**
 * `npm run bench:night`: a survey telescope's night scaled to this machine. TARN_NIGHT_FILES (default 100,000) files
 * of TARN_NIGHT_BYTES (16 KiB) dropped into a drop-box (a non-deterministic posix RSE), taken by a hook that makes
 * datasets of 1,000 files with a 2-copy rule to a posix RSE and an S3 RSE (scripts/services/s3.sh), run until every
 * rule is OK: the replica-registrar verifies the drop-box replicas, the re-evaluator attaches them to the rules, the
 * submitter, the built-in transfer worker and the finisher copy them, each as its own loop in one process, woken as
 * the events of the loop before it would wake its daemon. Files/s of the whole pipeline are printed beside, in the
 * same run, a bare script doing the same copies (read, write, fsync to a directory; bare AWS SDK PUTs to the same S3
 * server, and PUTs through Tarn's storage layer beside them; same concurrency), and what a file costs the whole machine.
 * Goals: >= 500 files/s end to end; Tarn >= 0.8x of the bare copies' combined rate; each destination's copies (first
 * started to last done) >= 0.8x the bare posix copies and >= 0.9x the bare SDK PUTs.
 * On a fresh embedded PostgreSQL (default settings: fsync, synchronous_commit, full_page_writes on), printed first.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { RuleState } from '@tarn/domain';
import type { Issuer } from '@tarn/core';
import { WakeableSleep } from '@tarn/events';
import { HookRunner } from '@tarn/core/ingest/hook-runner.js';
import { HookService } from '@tarn/core/ingest/hook.service.js';
import { IngestModule } from '@tarn/core/ingest/ingest.module.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferFinisherService } from '@tarn/core/transfers/transfer-finisher.service.js';
import { TransferSubmitterService } from '@tarn/core/transfers/transfer-submitter.service.js';
import { TransferWorkerService } from '@tarn/core/transfers/transfer-worker.service.js';
import { createStorage } from '@tarn/storage';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { inParallel } from '@tarn/testing/in-parallel.js';
import { createTestBucket, createTestDirectory, type TestStorageArea } from '@tarn/testing/storage.js';
import { startBenchCatalogue } from './bench-catalogue.js';
import { daemonLoop, type LoopPass } from './bench-loops.js';
import { machineCpu, machineCpuSince, measureMachine, processTreeCpu } from './bench-cpu.js';
import { benchProtocol, startBenchS3 } from './bench-storage.js';

const FILES = Math.max(1000, Number(process.env.TARN_NIGHT_FILES || 100_000));
const BYTES = Number(process.env.TARN_NIGHT_BYTES || 16 * 1024);
const PER_DIR = 1000;
const CONCURRENCY = Number(process.env.TARN_BENCH_TRANSFER_CONCURRENCY || 32);
const GOAL = 500;
const GOAL_RATIO = 0.8;
/** Each destination's copy rate against the bare script's: posix copies, S3 PUTs. */
const GOAL_POSIX = 0.8;
const GOAL_S3 = 0.9;
const SCOPE = 'bench';
const USER: Issuer = { account: 'bench', admin: false };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** The night's files, under the scope's directory of the drop-box: FILES / 1,000 directories of 1,000 files of BYTES each, all different. */
function dropFiles(root: string): string[] {
  const base = randomBytes(BYTES);
  const relative: string[] = [];
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const dir = path.join(root, SCOPE, `night${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_DIR; i++) {
      base.writeUInt32BE(d * PER_DIR + i, 0);
      const name = `${SCOPE}/night${d}/f${String(i).padStart(4, '0')}.fits`;
      writeFileSync(path.join(root, name), base);
      relative.push(name);
    }
  }
  return relative;
}

/** A bare phase's rate and what it cost the whole machine per file (every process, the S3 server's too). */
interface BareRate {
  rate: number;
  cpuPerFile: number | null;
  busyShare: number | null;
}

async function bareRate(files: string[], pass: (name: string) => Promise<void>): Promise<BareRate> {
  const { seconds: s, cpu, busyShare } = await measureMachine(() => inParallel(files, CONCURRENCY, pass));
  return { rate: files.length / s, cpuPerFile: cpu === null ? null : (cpu * 1000) / files.length, busyShare };
}

/**
 * The bare copies, each kind over every file: read, write, fsync into a directory; PUTs of the AWS SDK's own
 * client (PutObjectCommand, nothing else); PUTs through Tarn's storage layer (its checksums, Content-MD5, direct path).
 */
async function bare(root: string, files: string[], s3: TestStorageArea & { bucket: string; client: S3Client }): Promise<{ posix: BareRate; sdk: BareRate; storage: BareRate }> {
  const target = mkdtempSync(path.join(tmpdir(), 'tarn-bench-night-bare-'));
  try {
    const posix = await bareRate(files, async (name) => {
      const data = await readFile(path.join(root, name));
      const out = path.join(target, name);
      mkdirSync(path.dirname(out), { recursive: true });
      const handle = await open(out, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    const sdk = await bareRate(files, async (name) => {
      const data = await readFile(path.join(root, name));
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `bare-sdk/${name}`, Body: data, ContentLength: data.length }));
    });
    // Removed by key, untimed: the S3 server here lists a large bucket slowly, and the bucket's removal lists it.
    await inParallel(files, CONCURRENCY, (name) => s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `bare-sdk/${name}` })));
    const storage = createStorage(s3.protocol);
    try {
      const layer = await bareRate(files, async (name) => {
        const data = await readFile(path.join(root, name));
        await storage.write(`bare/${name}`, Readable.from([data]), { bytes: data.length });
      });
      await inParallel(files, CONCURRENCY, (name) => storage.delete(`bare/${name}`));
      return { posix, sdk, storage: layer };
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
}

/** Removes the night's S3 copies at the paths its transfers wrote, so that the bucket's removal lists an empty bucket. */
async function removeCopies(ds: DataSource, s3: TestStorageArea): Promise<void> {
  const rows: Array<{ path: string }> = await ds.query(
    `SELECT h.dest_url AS path FROM requests_history h JOIN rses s ON s.id = h.dest_rse_id WHERE s.rse = 'NIGHT_S3' AND h.state = 'D' AND h.dest_url IS NOT NULL`,
  );
  const storage = createStorage(s3.protocol);
  try {
    await inParallel(rows, CONCURRENCY, (r) => storage.delete(r.path));
  } finally {
    await storage.close();
  }
}

async function main(): Promise<void> {
  startBenchS3();
  const catalogue = await startBenchCatalogue('night');
  const { dataSource: ds, version } = catalogue;
  const areas: TestStorageArea[] = [];
  try {
    @Module({ imports: [catalogue.module, IngestModule, ReplicasModule, RuleDaemonsModule, TransfersModule] })
    class BenchNightModule {}
    const app = await NestFactory.createApplicationContext(BenchNightModule, { logger: ['error', 'warn'] });
    try {
      await createAccount(ds, { account: 'root', admin: true });
      await createAccount(ds, { account: USER.account });
      await createScope(ds, { scope: SCOPE, account: USER.account });
      const drop = await createTestDirectory();
      const disk = await createTestDirectory();
      const bucket = await createTestBucket();
      areas.push(drop, disk, bucket);
      await createRse(ds, { rse: 'NIGHT_DROP', deterministic: false, attributes: { allow_user_paths: true }, protocols: [benchProtocol(drop, 'rucio.rse.protocols.posix.Default')] });
      await createRse(ds, { rse: 'NIGHT_DISK', protocols: [benchProtocol(disk, 'rucio.rse.protocols.posix.Default')] });
      await createRse(ds, { rse: 'NIGHT_S3', protocols: [benchProtocol(bucket, 'rucio.rse.protocols.s3.Default')] });
      const files = dropFiles(drop.root);
      execFileSync('sync');

      const bareLoad = loadavg()[0];
      const limit = await bare(drop.root, files, bucket);
      const bothRate = 1 / (1 / limit.posix.rate + 1 / limit.sdk.rate);

      const hook = await app.get(HookService).createHook(USER, {
        name: 'night',
        schedule: '0 2 * * *',
        source: { rse: 'NIGHT_DROP', prefix: SCOPE },
        target: { scope: SCOPE, name: 'night.{dir}.{basename}', dataset: 'night.{dir}' },
        rules: [{ copies: 2, rseExpression: 'NIGHT_DISK|NIGHT_S3' }],
      });
      const registrar = app.get(ReplicaRegistrarService);
      const reevaluation = app.get(RuleReevaluationService);
      const submitter = app.get(TransferSubmitterService);
      const worker = app.get(TransferWorkerService);
      const finisher = app.get(TransferFinisherService);
      const load = loadavg()[0];
      const cpuAtStart = processTreeCpu();
      const machineAtStart = machineCpu();
      const start = process.hrtime.bigint();
      let finished = false;
      // Each loop goes on at once after a pass its daemon counts as full (its worker's didWork), else sleeps until
      // the loop before it did work (as the event that work wrote wakes the daemon in a deployment) or a while passes.
      const wakes = { registrar: new WakeableSleep(), evaluator: new WakeableSleep(), submitter: new WakeableSleep(), worker: new WakeableSleep(), finisher: new WakeableSleep() };
      const loop = (wakeup: WakeableSleep, idleMs: number, pass: () => Promise<LoopPass>, next: WakeableSleep[]) =>
        daemonLoop(() => !finished, wakeup, idleMs, pass, next);
      const running = app.get(HookRunner).run(hook.id, { force: true });
      const loops = [
        loop(wakes.registrar, 20, async () => {
          const v = await registrar.verifyWhileDue();
          return { items: v.checked, full: v.more };
        }, [wakes.evaluator]),
        loop(wakes.evaluator, 20, async () => {
          const items = (await reevaluation.evaluateNextDid()) ? 1 : 0;
          return { items, full: items > 0 };
        }, [wakes.submitter]),
        loop(wakes.submitter, 50, async () => {
          const { submitted } = await submitter.submitBatch(1000);
          return { items: submitted, full: submitted >= 1000 };
        }, [wakes.worker]),
        loop(wakes.worker, 100, async () => {
          const { taken } = await worker.runBatch({ limit: CONCURRENCY * 8, concurrency: CONCURRENCY });
          return { items: taken, full: taken > 0 };
        }, [wakes.finisher, wakes.submitter]),
        loop(wakes.finisher, 20, async () => {
          const o = await finisher.finishBatch(1000);
          return { items: o.done + o.retried + o.stuck, full: Math.max(o.done, o.retried + o.stuck) >= 1000 };
        }, []),
      ];
      const datasets = FILES / PER_DIR;
      let seconds_ = 0;
      let cpuAtEnd: ReturnType<typeof processTreeCpu> = null;
      let machine: ReturnType<typeof machineCpuSince> = null;
      /** Seconds from the start until the hook's run ended, and until every drop-box replica was AVAILABLE. */
      const phases = { registered: 0, verified: 0 };
      try {
        const run = await running;
        phases.registered = seconds(start);
        if (!run || run.state !== 'DONE' || run.filesRegistered !== FILES) throw new Error(`the hook's run did not register ${FILES} files: ${JSON.stringify(run)}`);
        for (;;) {
          const [{ ok, total, stuck }] = await ds.query(
            `SELECT count(*) FILTER (WHERE state = $1)::int AS ok, count(*)::int AS total, coalesce(sum(locks_stuck_cnt), 0)::int AS stuck FROM rules`,
            [RuleState.OK],
          );
          if (!phases.verified) {
            const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM replicas r JOIN rses s ON s.id = r.rse_id WHERE s.rse = 'NIGHT_DROP' AND r.state = 'A'`);
            if (n === FILES) phases.verified = seconds(start);
          }
          if (total === datasets && ok === datasets) break;
          if (stuck > 0) {
            const errors = await ds.query(`SELECT err_msg FROM requests_history WHERE state = 'F' LIMIT 3`);
            throw new Error(`${stuck} lock(s) stuck: ${errors.map((e: { err_msg: string }) => e.err_msg).join(' | ')}`);
          }
          await sleep(100);
        }
        seconds_ = seconds(start);
        cpuAtEnd = processTreeCpu();
        machine = machineCpuSince(machineAtStart);
      } finally {
        finished = true;
        for (const sleeper of Object.values(wakes)) sleeper.wake();
        await Promise.all(loops);
      }
      const [{ copies }] = await ds.query(`SELECT count(*)::int AS copies FROM replicas r JOIN rses s ON s.id = r.rse_id WHERE s.rse IN ('NIGHT_DISK', 'NIGHT_S3') AND r.state = 'A'`);
      if (copies !== 2 * FILES) throw new Error(`${copies} copies AVAILABLE, expected ${2 * FILES}`);

      // Each destination's copies: from its first copy started to its last one done (both run at once, sharing the cores).
      const links: Array<{ rse: string; copies: number; span: number }> = await ds.query(
        `SELECT s.rse, count(*)::int AS copies, extract(epoch FROM max(h.transferred_at) - min(h.started_at))::float8 AS span
           FROM requests_history h JOIN rses s ON s.id = h.dest_rse_id
          WHERE h.state = 'D' AND s.rse IN ('NIGHT_DISK', 'NIGHT_S3') GROUP BY s.rse`,
      );
      const linkRate = (rse: string) => {
        const link = links.find((l) => l.rse === rse);
        return link && link.span > 0 ? link.copies / link.span : 0;
      };
      const posixRate = linkRate('NIGHT_DISK');
      const s3Rate = linkRate('NIGHT_S3');
      const rate = FILES / seconds_;
      const fmt = (n: number) => Math.round(n).toLocaleString('en');
      console.log(`night bench: embedded PostgreSQL ${version} (fresh; ${catalogue.settings}), Node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      console.log(
        `${fmt(FILES)} files of ${fmt(BYTES)} bytes, drop-box -> hook -> 2-copy rule (posix + S3) -> OK: ${seconds_.toFixed(1)} s = ${fmt(rate)} files/s (load ${load.toFixed(2)} at its start)   goal >= ${GOAL}/s ${rate >= GOAL ? 'ok' : 'MISSED'}\n` +
          `    the hook's run ended at ${phases.registered.toFixed(1)} s, every drop-box replica AVAILABLE at ${phases.verified.toFixed(1)} s, every copy at ${seconds_.toFixed(1)} s`,
      );
      const ms = (n: number | null) => (n === null ? '?' : n.toFixed(2));
      const busy = (n: number | null) => (n === null ? '' : `, machine ${Math.round(n * 100)}% busy`);
      const bareLine = (what: string, r: BareRate) => `${what} ${fmt(r.rate)} files/s (${ms(r.cpuPerFile)} ms of CPU each${busy(r.busyShare)})`;
      console.log(
        `bare copies of the same files, ${CONCURRENCY} at once (load ${bareLoad.toFixed(2)}): ${bareLine('read+write+fsync', limit.posix)}; ${bareLine('AWS SDK PUTs', limit.sdk)}; ` +
          `${bareLine("PUTs through Tarn's storage layer", limit.storage)}; read+write+fsync and SDK PUT one after the other ${fmt(bothRate)} files/s; ` +
          `Tarn at ${(rate / bothRate).toFixed(2)}x   goal >= ${GOAL_RATIO}x ${rate >= GOAL_RATIO * bothRate ? 'ok' : 'MISSED'}`,
      );
      if (cpuAtStart && cpuAtEnd) {
        const perFile = (from: number, to: number) => (((to - from) * 1000) / FILES).toFixed(2);
        console.log(
          `CPU per file over the run (2 copies each): Tarn's process ${perFile(cpuAtStart.self, cpuAtEnd.self)} ms, its PostgreSQL ${perFile(cpuAtStart.children, cpuAtEnd.children)} ms ` +
            `(${(cpuAtEnd.self - cpuAtStart.self + cpuAtEnd.children - cpuAtStart.children).toFixed(1)} s of CPU in ${seconds_.toFixed(1)} s on ${cpus().length} CPUs)`,
        );
      }
      if (machine && limit.sdk.cpuPerFile !== null) {
        // What the machine can do at all: a file's whole cost (both copies, the catalogue, the S3 server) against its cores.
        const cpuPerFile = (machine.cpu * 1000) / FILES;
        const ceiling = (cpus().length * 1000) / cpuPerFile;
        console.log(
          `the whole machine per file (every process, the S3 server's too): ${ms(cpuPerFile)} ms of CPU${busy(machine.busyShare)}, so at most ${fmt(ceiling)} files/s on its ${cpus().length} CPUs; ` +
            `S3 at ${GOAL_S3}x the bare SDK PUTs would need a file's whole cost <= ${ms(limit.sdk.cpuPerFile / GOAL_S3)} ms (${ms(limit.sdk.cpuPerFile)} ms a bare PUT)`,
        );
      }
      console.log(
        `per destination, first copy started to last done: posix ${fmt(posixRate)} files/s = ${(posixRate / limit.posix.rate).toFixed(2)}x the bare read+write+fsync   goal >= ${GOAL_POSIX}x ${posixRate >= GOAL_POSIX * limit.posix.rate ? 'ok' : 'MISSED'}; ` +
          `S3 ${fmt(s3Rate)} files/s = ${(s3Rate / limit.sdk.rate).toFixed(2)}x the bare SDK PUTs   goal >= ${GOAL_S3}x ${s3Rate >= GOAL_S3 * limit.sdk.rate ? 'ok' : 'MISSED'} ` +
          `(${(s3Rate / limit.storage.rate).toFixed(2)}x the PUTs through Tarn's storage layer)`,
      );
      await removeCopies(ds, bucket);
      if (rate < GOAL || rate < GOAL_RATIO * bothRate || posixRate < GOAL_POSIX * limit.posix.rate || s3Rate < GOAL_S3 * limit.sdk.rate) process.exitCode = 1;
    } finally {
      await app.close();
    }
  } finally {
    await catalogue.close();
    for (const area of areas) await area.drop().catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
