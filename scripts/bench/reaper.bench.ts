/**
 * npm run bench:reaper — deletions per second of the reaper on a posix RSE (claim BEING_DELETED, delete from
 * storage with bounded concurrency, remove the rows with their deletion.done events, batch by batch), beside a
 * bare unlink of the same files with the same concurrency. Goal: >= 2,000 deletions/s.
 * Knobs: TARN_BENCH_REAPER_FILES (20,000), TARN_REAPER_BATCH (1,000), TARN_REAPER_CONCURRENCY (64).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { deterministicPath } from '@tarn/domain';
import { ReaperService, type ReaperSettings } from '@tarn/core/reaper/reaper.service.js';
import { settleBounded } from '@tarn/core/bounded.js';
import { adminQuery, benchServerUrl, durabilityOf } from './bench-postgres.js';
import { createReapableRse, insertReapableReplicas, writeReapableFiles } from './bench-reap.js';
import { runBench } from './bench-run.js';

const FILES = Number(process.env.TARN_BENCH_REAPER_FILES || 20_000);
const GOAL = 2_000;
const SETTINGS: ReaperSettings = {
  batchSize: Number(process.env.TARN_REAPER_BATCH || 1000),
  concurrency: Number(process.env.TARN_REAPER_CONCURRENCY || 64),
  graceSeconds: 600,
  maxBatchesPerRse: Number.MAX_SAFE_INTEGER,
};
const SCOPE = 'bench';
const names = Array.from({ length: FILES }, (_, i) => `file.${String(i).padStart(7, '0')}`);
const paths = names.map((name) => deterministicPath(SCOPE, name));

async function seed(dataSource: DataSource, dir: string): Promise<string> {
  const id = await createReapableRse(dataSource, dir);
  await insertReapableReplicas(dataSource, id, SCOPE, names);
  await dataSource.query(`ANALYZE replicas`);
  return id;
}

async function main(): Promise<void> {
  const server = benchServerUrl();
  const name = `tarn_bench_reaper_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const dataSource = createDataSource({ url: url.toString(), applicationName: 'tarn-bench', poolSize: 10 });
  const dir = await mkdtemp(join(tmpdir(), 'tarn-bench-reaper-'));
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    await writeReapableFiles(dir, SCOPE, names);
    const rseId = await seed(dataSource, dir);
    const service = new ReaperService(dataSource);

    const loadBefore = loadavg()[0];
    const started = process.hrtime.bigint();
    let deleted = 0;
    for (const rse of await service.reapableRses(SETTINGS, [rseId])) deleted += (await service.reapRse(rse, SETTINGS)).deleted;
    const reaperSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [{ left }] = await dataSource.query(`SELECT count(*)::int AS left FROM replicas`);
    if (deleted !== FILES || left !== 0) throw new Error(`the reaper deleted ${deleted} of ${FILES} replicas, ${left} rows left`);

    await writeReapableFiles(dir, SCOPE, names);
    const unlinkStarted = process.hrtime.bigint();
    await settleBounded(paths, SETTINGS.concurrency, (p) => unlink(join(dir, p)));
    const unlinkSeconds = Number(process.hrtime.bigint() - unlinkStarted) / 1e9;

    const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
    const reaperRate = FILES / reaperSeconds;
    const unlinkRate = FILES / unlinkSeconds;
    console.log(
      `reaper bench: PostgreSQL ${version} (${await durabilityOf((sql) => dataSource.query(sql))}), Node ${process.version}; ${FILES} replicas of 100 bytes on a posix RSE, ` +
        `batches of ${SETTINGS.batchSize}, ${SETTINGS.concurrency} deletions in flight; load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`,
    );
    console.log(
      `reaper: ${reaperRate.toFixed(0)} deletions/s (${reaperSeconds.toFixed(2)} s)   goal >= ${GOAL}/s ${reaperRate >= GOAL ? 'ok' : 'MISSED'}`,
    );
    console.log(`bare unlink of the same files (${SETTINGS.concurrency} in flight): ${unlinkRate.toFixed(0)} files/s (${unlinkSeconds.toFixed(2)} s); reaper/unlink = ${(reaperRate / unlinkRate).toFixed(2)}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
