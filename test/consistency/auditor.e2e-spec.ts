/**
 * The consistency checker against real PostgreSQL, posix RSEs in temporary directories and the S3 server:
 * dark files are quarantined, then deleted once the quarantine period has passed; a replica whose file is gone
 * is declared bad and the registrar's recovery queues its re-copy; writes in flight (young files, COPYING and
 * BEING_DELETED replicas, transfers, ingestion hooks' prefixes) are left alone, temporary files a killed write left
 * behind are deleted once stale; a storage that lists almost
 * nothing does not turn into bad declarations; the schedule, on-demand audits and one auditor per RSE.
 */
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import type { TestingModule } from '@nestjs/testing';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { silentLogger } from '@tarn/events';
import { deterministicPath, ReplicaState } from '@tarn/domain';
import { createStorage } from '@tarn/storage';
import { ConsistencyServiceModule } from '@tarn/core/consistency/consistency.module.js';
import { ConsistencyService, DEFAULT_AUDIT_SETTINGS, type AuditSettings } from '@tarn/core/consistency/consistency.service.js';
import { ConsistencyMetrics } from '@tarn/core/consistency/consistency.metrics.js';
import { StorageUsageService } from '@tarn/core/accounting/storage-usage.service.js';
import { StorageUsageMetrics } from '@tarn/core/accounting/storage-usage.metrics.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createFiles, type FileSpec } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createTestBucket } from '@tarn/testing/storage.js';
import { AuditorWorker } from '../../apps/auditor/src/auditor.worker.js';
import { loadAuditorSettings, rseArguments, type AuditorWorkerSettings } from '../../apps/auditor/src/auditor.config.js';
import { createPosixRse, filesOnDisk, type PosixRse } from '../reaper/support/reaper-fixtures.js';

jest.setTimeout(60_000);

const HOUR = 3600_000;
const SETTINGS: AuditSettings = { ...DEFAULT_AUDIT_SETTINGS, graceSeconds: 3600, quarantineSeconds: 3600, listBatch: 3 };

describe('auditor (consistency checker)', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let service: ConsistencyService;
  let registrar: ReplicaRegistrarService;
  let usage: StorageUsageService;
  let account: string;
  const scope = 'user.jdoe';
  const rses: PosixRse[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [ConsistencyServiceModule]);
    service = moduleRef.get(ConsistencyService);
    registrar = moduleRef.get(ReplicaRegistrarService, { strict: false });
    usage = new StorageUsageService(db.dataSource);
    await createAccount(db.dataSource, { account: 'root' });
    account = (await createAccount(db.dataSource, { account: 'jdoe' })).account;
    await createScope(db.dataSource, { scope, account });
  });

  afterAll(async () => {
    for (const rse of rses) await rse.drop();
    await moduleRef?.close();
    await db?.drop();
  });

  async function posixRse(): Promise<PosixRse> {
    const rse = await createPosixRse(db.dataSource);
    rses.push(rse);
    return rse;
  }

  /** Writes a file under the RSE's directory, last modified `ageMs` ago. */
  async function put(rse: PosixRse, path: string, ageMs = 2 * HOUR): Promise<void> {
    const full = join(rse.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, Buffer.alloc(10, 1));
    const when = new Date(Date.now() - ageMs);
    await utimes(full, when, when);
  }

  /** Replicas of `files` on the RSE in `state`, created and last changed `ageMs` ago, their files written unless `written` is false. */
  async function replicas(rse: PosixRse, files: FileSpec[], options: { state?: ReplicaState; ageMs?: number; written?: boolean } = {}): Promise<void> {
    await createReplicas(db.dataSource, { rseId: rse.id, files, state: options.state ?? ReplicaState.AVAILABLE });
    const ago = new Date(Date.now() - (options.ageMs ?? 2 * HOUR)).toISOString();
    await db.dataSource.query(
      `UPDATE replicas SET created_at = $3, updated_at = $3 WHERE rse_id = $1 AND name = ANY($2::varchar[])`,
      [rse.id, files.map((f) => f.name), ago],
    );
    if (options.written !== false) for (const f of files) await put(rse, deterministicPath(f.scope, f.name), options.ageMs ?? 2 * HOUR);
  }

  async function audit(rse: { id: string; rse: string }, settings: AuditSettings = SETTINGS, metrics: ConsistencyMetrics | null = null) {
    const [found] = await service.dueRses(settings, [rse.rse], true);
    const result = await service.auditRse(found, settings, { metrics });
    if (!result) throw new Error('the audit did not run');
    return result;
  }

  async function quarantined(rseId: string): Promise<Array<{ path: string; scope: string | null; name: string | null }>> {
    return db.dataSource.query(`SELECT path, scope, name FROM quarantined_replicas WHERE rse_id = $1 ORDER BY path COLLATE "C"`, [rseId]);
  }

  it('quarantines dark files, deletes them once the quarantine period has passed, and leaves writes in flight alone', async () => {
    const rse = await posixRse();
    const [known, copying, deleting, elsewhere, transferring] = await createFiles(db.dataSource, { scope, account, count: 5, prefix: 'dark' });
    await replicas(rse, [known]);
    await replicas(rse, [copying], { state: ReplicaState.COPYING });
    await replicas(rse, [deleting], { state: ReplicaState.BEING_DELETED });
    // A file at the lfn2pfn path of a DID that has no replica here: dark, and the quarantine says which DID.
    await put(rse, deterministicPath(scope, elsewhere.name));
    // A transfer to this RSE in flight whose replica row is not there (yet): not dark.
    await put(rse, deterministicPath(scope, transferring.name));
    await db.dataSource.query(
      `INSERT INTO requests (request_type, scope, name, did_type, dest_rse_id, state, activity, account, bytes)
       VALUES ('T', $1, $2, 'F', $3, 'S', 'User Subscriptions', 'jdoe', 10)`,
      [scope, transferring.name, rse.id],
    );
    await put(rse, 'stray/old.dat');
    await put(rse, 'stray/young.dat', 60_000);
    // Files under an enabled ingestion hook's prefix wait for the hook: not dark.
    await put(rse, 'incoming/new.dat');
    await db.dataSource.query(
      `INSERT INTO hooks (name, account, schedule, source, target) VALUES ('drop', 'jdoe', '* * * * *', $1, $2)`,
      [{ kind: 'rse', rse: rse.rse, prefix: 'incoming/', glob: null }, { scope, rse: rse.rse, name: '{basename}', dataset: null, pattern: null, meta: {} }],
    );

    const registry = new Registry();
    const first = await audit(rse, SETTINGS, new ConsistencyMetrics(registry));
    expect(first).toMatchObject({ listed: 8, dark: 2, quarantined: 2, released: 0, deleted: 0, missing: 0, declaredBad: 0, error: null });
    expect(await quarantined(rse.id)).toEqual([
      { path: 'stray/old.dat', scope: null, name: null },
      { path: deterministicPath(scope, elsewhere.name), scope, name: elsewhere.name },
    ]);
    expect((await registry.getSingleMetric('tarn_auditor_quarantined_total')!.get()).values).toEqual([{ labels: { rse: rse.rse }, value: 2 }]);

    // Seen again before the quarantine period is over: still there, not quarantined twice.
    expect(await audit(rse)).toMatchObject({ dark: 2, quarantined: 0, deleted: 0 });
    expect(existsSync(join(rse.dir, 'stray/old.dat'))).toBe(true);

    await db.dataSource.query(`UPDATE quarantined_replicas SET created_at = now() - interval '2 hours' WHERE rse_id = $1`, [rse.id]);
    const third = await audit(rse, SETTINGS, new ConsistencyMetrics(registry));
    expect(third).toMatchObject({ dark: 2, quarantined: 0, deleted: 2, deleteFailures: 0, error: null });
    expect(await quarantined(rse.id)).toEqual([]);
    expect([...(await filesOnDisk(rse))].sort()).toEqual(
      [known, copying, deleting, transferring].map((f) => deterministicPath(scope, f.name)).concat(['incoming/new.dat', 'stray/young.dat']).sort(),
    );
    expect((await registry.getSingleMetric('tarn_auditor_dark_deleted_total')!.get()).values).toEqual([{ labels: { rse: rse.rse }, value: 2 }]);
    const runs = await db.dataSource.query(`SELECT state, listed::int, dark::int, quarantined::int, deleted::int FROM consistency_runs WHERE rse_id = $1 ORDER BY started_at`, [rse.id]);
    expect(runs).toEqual([
      { state: 'done', listed: 8, dark: 2, quarantined: 2, deleted: 0 },
      { state: 'done', listed: 8, dark: 2, quarantined: 0, deleted: 0 },
      { state: 'done', listed: 8, dark: 2, quarantined: 0, deleted: 2 },
    ]);
  });

  it('deletes the temporary files killed writes left behind once untouched for the grace period, never counting them dark', async () => {
    const rse = await posixRse();
    const stale = ['ab/cd/.tarn-part.00000000deadbeef', 'ef/.tarn-part.0000000012345678'];
    for (const path of stale) await put(rse, path);
    await put(rse, 'ab/cd/.tarn-part.00000000cafebabe', 60_000); // a write in progress
    await put(rse, 'gh/.tarn-part.0000000000000001'); // stale, but left alone while deleting is switched off

    expect(await audit(rse, { ...SETTINGS, deleteDark: false })).toMatchObject({ listed: 0, dark: 0, quarantined: 0, temporariesDeleted: 0, error: null });
    expect((await filesOnDisk(rse)).size).toBe(4);

    await rm(join(rse.dir, 'gh'), { recursive: true });
    const registry = new Registry();
    expect(await audit(rse, SETTINGS, new ConsistencyMetrics(registry))).toMatchObject({
      listed: 0, dark: 0, quarantined: 0, temporariesDeleted: 2, deleteFailures: 0, error: null,
    });
    expect([...(await filesOnDisk(rse))]).toEqual(['ab/cd/.tarn-part.00000000cafebabe']);
    expect(await quarantined(rse.id)).toEqual([]);
    expect((await registry.getSingleMetric('tarn_auditor_temporaries_deleted_total')!.get()).values).toEqual([{ labels: { rse: rse.rse }, value: 2 }]);
  });

  it('releases a quarantined file once the catalogue knows it, and never deletes it', async () => {
    const rse = await posixRse();
    const [late] = await createFiles(db.dataSource, { scope, account, count: 1, prefix: 'late' });
    await put(rse, deterministicPath(scope, late.name));
    await put(rse, 'other.dat');
    expect(await audit(rse)).toMatchObject({ dark: 2, quarantined: 2 });
    await db.dataSource.query(`UPDATE quarantined_replicas SET created_at = now() - interval '2 hours' WHERE rse_id = $1`, [rse.id]);
    // Registered since (e.g. by a late registration): known again, so released and kept.
    await replicas(rse, [late], { written: false });
    expect(await audit(rse)).toMatchObject({ dark: 1, released: 1, deleted: 1 });
    expect(existsSync(join(rse.dir, deterministicPath(scope, late.name)))).toBe(true);
    expect(existsSync(join(rse.dir, 'other.dat'))).toBe(false);
  });

  it('declares a replica missing on storage bad, and the recovery queues its re-copy from the other replica', async () => {
    const rse = await posixRse();
    const other = await posixRse();
    const [lost, kept, young, copying, deleting] = await createFiles(db.dataSource, { scope, account, count: 5, prefix: 'missing', bytes: 10 });
    await replicas(rse, [lost, kept]);
    await replicas(other, [lost]);
    await rm(join(rse.dir, deterministicPath(scope, lost.name)));
    // Not missing: created within the grace period, being written, being deleted.
    await replicas(rse, [young], { ageMs: 60_000, written: false });
    await replicas(rse, [copying], { state: ReplicaState.COPYING, written: false });
    await replicas(rse, [deleting], { state: ReplicaState.BEING_DELETED, written: false });

    const registry = new Registry();
    const result = await audit(rse, SETTINGS, new ConsistencyMetrics(registry));
    expect(result).toMatchObject({ listed: 1, dark: 0, eligible: 2, missing: 1, declaredBad: 1, error: null });
    const bad = await db.dataSource.query(`SELECT name, state, account, reason FROM bad_replicas WHERE rse_id = $1`, [rse.id]);
    expect(bad).toEqual([{ name: lost.name, state: 'B', account: 'root', reason: expect.stringContaining('missing on the storage') }]);
    const states = async () =>
      Object.fromEntries(
        (await db.dataSource.query(`SELECT name, state FROM replicas WHERE rse_id = $1`, [rse.id])).map((r: { name: string; state: string }) => [r.name, r.state]),
      );
    expect(await states()).toEqual({ [lost.name]: 'D', [kept.name]: 'A', [young.name]: 'A', [copying.name]: 'C', [deleting.name]: 'B' });
    const events = await db.dataSource.query(`SELECT payload FROM outbox_messages WHERE event_type = 'replica.bad'`);
    expect(events.map((e: { payload: { name: string } }) => e.payload.name)).toEqual([lost.name]);
    expect((await registry.getSingleMetric('tarn_auditor_missing_replicas_total')!.get()).values).toEqual([{ labels: { rse: rse.rse }, value: 1 }]);

    // The registrar's recovery (its daemon's work): a transfer from the other replica, the replica COPYING again.
    expect(await registrar.recoverBad()).toEqual({ requeued: 1, lost: 0 });
    expect((await states())[lost.name]).toBe('C');
    const requests = await db.dataSource.query(`SELECT name, state, activity FROM requests WHERE dest_rse_id = $1`, [rse.id]);
    expect(requests).toEqual([{ name: lost.name, state: 'Q', activity: 'Recovery' }]);
    expect((await db.dataSource.query(`SELECT state FROM bad_replicas WHERE rse_id = $1`, [rse.id])).map((r: { state: string }) => r.state)).toEqual(['R']);

    // The next audit leaves the COPYING replica (a write in flight) alone.
    expect(await audit(rse)).toMatchObject({ missing: 0, declaredBad: 0, dark: 0 });
  });

  it('acts on nothing when most replicas appear missing (a storage unmounted or misconfigured)', async () => {
    const rse = await posixRse();
    const files = await createFiles(db.dataSource, { scope, account, count: 3, prefix: 'unmounted' });
    await replicas(rse, files, { written: false });
    await put(rse, 'stray.dat');
    const result = await audit(rse);
    expect(result).toMatchObject({ listed: 1, eligible: 3, declaredBad: 0, quarantined: 0, error: expect.stringContaining('max_missing_fraction') });
    expect(await db.dataSource.query(`SELECT 1 FROM bad_replicas WHERE rse_id = $1`, [rse.id])).toEqual([]);
    expect(await quarantined(rse.id)).toEqual([]);
    const [run] = await db.dataSource.query(`SELECT state, error FROM consistency_runs WHERE rse_id = $1`, [rse.id]);
    expect(run).toEqual({ state: 'failed', error: expect.stringContaining('3 of 3 replicas appear missing') });
  });

  it('audits a non-deterministic RSE on S3 by stored paths', async () => {
    const bucket = await createTestBucket();
    try {
      const rse = await createRse(db.dataSource, {
        deterministic: false,
        protocols: [{ ...bucket.protocol, port: bucket.protocol.port ?? 9000, impl: 'rucio.rse.protocols.s3.Default', domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } } }],
      });
      const storage = createStorage(bucket.protocol, { rse: rse.rse });
      const [here, gone, also] = await createFiles(db.dataSource, { scope, account, count: 3, prefix: 's3', bytes: 3 });
      for (const path of ['runs/here.dat', 'runs/also.dat', 'runs/dark.dat']) await storage.write(path, Readable.from([Buffer.from('abc')]));
      await storage.close();
      for (const [file, path] of [[here, 'runs/here.dat'], [gone, 'runs/gone.dat'], [also, 'runs/also.dat']] as const) {
        await createReplicas(db.dataSource, { rseId: rse.id, files: [file], path });
      }
      await db.dataSource.query(`UPDATE replicas SET created_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE rse_id = $1`, [rse.id]);
      // S3 objects are as old as their upload: no grace here; the quarantine ends at the next run.
      const settings = { ...SETTINGS, graceSeconds: 0, quarantineSeconds: 0 };
      expect(await audit(rse, settings)).toMatchObject({ listed: 3, dark: 1, quarantined: 1, deleted: 0, eligible: 3, missing: 1, declaredBad: 1, error: null });
      expect(await quarantined(rse.id)).toEqual([{ path: 'runs/dark.dat', scope: null, name: null }]);
      expect(await db.dataSource.query(`SELECT name, state FROM replicas WHERE rse_id = $1 AND state = 'D'`, [rse.id])).toEqual([{ name: gone.name, state: 'D' }]);
      expect(await audit(rse, settings)).toMatchObject({ listed: 3, dark: 1, deleted: 1, error: null });
      const after = createStorage(bucket.protocol, { rse: rse.rse });
      const left: string[] = [];
      for await (const entry of after.list('')) left.push(entry.path);
      await after.close();
      expect(left.sort()).toEqual(['runs/also.dat', 'runs/here.dat']);

      // S3 cannot tell its space: no 'storage' usage is written for it.
      const outcomes = await usage.refresh({ maxAgeSeconds: 0, concurrency: 2 }, { rses: [rse.rse] });
      expect(outcomes).toEqual([{ rse: rse.rse, rseId: rse.id, known: false, reason: expect.stringContaining('cannot tell') }]);
      expect(await db.dataSource.query(`SELECT 1 FROM rse_usage WHERE rse_id = $1 AND source = 'storage'`, [rse.id])).toEqual([]);
    } finally {
      await bucket.drop();
    }
  });

  it('records a run that cannot map paths back to DIDs as failed, so that the RSE waits for its next turn', async () => {
    const rse = await createPosixRse(db.dataSource, { attributes: { lfn2pfn_algorithm: 'experiment_custom' } });
    rses.push(rse);
    await put(rse, 'some/file.dat');
    expect(await audit(rse)).toMatchObject({ listed: 0, dark: 0, error: expect.stringContaining("lfn2pfn algorithm 'experiment_custom'") });
    expect(await quarantined(rse.id)).toEqual([]);
    expect(await service.dueRses(SETTINGS, [rse.rse])).toEqual([]);
  });

  it('lets one auditor at a time audit an RSE', async () => {
    const rse = await posixRse();
    const [found] = await service.dueRses(SETTINGS, [rse.rse], true);
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('tarn-auditor'), hashtext($1))`, [rse.id]);
      expect(await service.auditRse(found, SETTINGS)).toBeNull();
      await holder.query(`SELECT pg_advisory_unlock(hashtext('tarn-auditor'), hashtext($1))`, [rse.id]);
      expect(await service.auditRse(found, SETTINGS)).toMatchObject({ rse: rse.rse, error: null });
    } finally {
      await holder.release();
    }
  });

  it('refreshes the storage-reported usage of posix RSEs, which the reaper reads', async () => {
    const rse = await posixRse();
    const registry = new Registry();
    const outcomes = await usage.refresh({ maxAgeSeconds: 600, concurrency: 2 }, { rses: [rse.rse], metrics: new StorageUsageMetrics(registry) });
    expect(outcomes).toEqual([{ rse: rse.rse, rseId: rse.id, known: true, used: expect.any(Number), free: expect.any(Number), total: expect.any(Number) }]);
    const [measured] = outcomes as Array<{ used: number; free: number; total: number }>;
    expect(measured.free).toBeGreaterThan(0);
    expect(measured.used + measured.free).toBeLessThanOrEqual(measured.total);
    const [row] = await db.dataSource.query(`SELECT used::float8, free::float8 FROM rse_usage WHERE rse_id = $1 AND source = 'storage'`, [rse.id]);
    expect(row).toEqual({ used: measured.used, free: measured.free });
    const { reaperRepository } = await import('@tarn/catalogue/repositories/reaper.repository.js');
    expect((await reaperRepository.space(db.dataSource.manager, rse.id)).free).toBe(measured.free);
    expect((await registry.getSingleMetric('tarn_rse_storage_free_bytes')!.get()).values).toEqual([{ labels: { rse: rse.rse }, value: measured.free }]);
    // Fresh: not measured again until it is maxAgeSeconds old.
    expect(await usage.refresh({ maxAgeSeconds: 600, concurrency: 2 }, { rses: [rse.rse] })).toEqual([]);
    await db.dataSource.query(`UPDATE rse_usage SET free = 1, updated_at = now() - interval '1 hour' WHERE rse_id = $1 AND source = 'storage'`, [rse.id]);
    await usage.refresh({ maxAgeSeconds: 600, concurrency: 2 }, { rses: [rse.rse] });
    const [again] = await db.dataSource.query(`SELECT free::float8 FROM rse_usage WHERE rse_id = $1 AND source = 'storage'`, [rse.id]);
    expect(again.free).toBeGreaterThan(1);
  });

  describe('the auditor daemon', () => {
    function worker(settings: Partial<AuditorWorkerSettings>) {
      const base = loadAuditorSettings({}, []);
      const auditor = new AuditorWorker(service, usage, { ...base, ...settings, audit: SETTINGS }, {
        consistency: new ConsistencyMetrics(new Registry()),
        usage: new StorageUsageMetrics(new Registry()),
      });
      const runner = new DaemonRunner(auditor, { dataSource: db.dataSource, metrics: new DaemonMetrics(), logger: silentLogger });
      return { auditor, run: () => runner.runOnce() };
    }

    const runsOf = async (rseId: string): Promise<number> =>
      Number((await db.dataSource.query(`SELECT count(*) AS n FROM consistency_runs WHERE rse_id = $1`, [rseId]))[0].n);

    it('audits each RSE at most once per interval, at once on demand, and refreshes storage usage on the way', async () => {
      const a = await posixRse();
      const b = await posixRse();
      const { auditor, run } = worker({ rses: [a.rse, b.rse], rsesPerPass: 1 });
      expect(await run()).toMatchObject({ didWork: true, items: 1, failedItems: 0 });
      expect(await run()).toMatchObject({ didWork: false, items: 1 });
      expect(await run()).toMatchObject({ didWork: false, items: 0 });
      expect([await runsOf(a.id), await runsOf(b.id)]).toEqual([1, 1]);
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM rse_usage WHERE rse_id = ANY($1::uuid[]) AND source = 'storage'`, [[a.id, b.id]])).toEqual([{ n: 2 }]);

      auditor.requestAudit(a.rse);
      expect(await run()).toMatchObject({ items: 1, failedItems: 0 });
      expect([await runsOf(a.id), await runsOf(b.id)]).toEqual([2, 1]);

      // The interval comes from the configs table too (section auditor).
      await db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('auditor', 'rse_interval_hours', '0')`);
      try {
        expect(await run()).toMatchObject({ items: 1, didWork: true });
      } finally {
        await db.dataSource.query(`DELETE FROM configs WHERE section = 'auditor'`);
      }
    });

    it('reads --rse and TARN_AUDITOR_* knobs', () => {
      expect(rseArguments(['node', 'main.js', '--once', '--rse', 'SITE_A', '--rse=SITE_B,SITE_C'])).toEqual(['SITE_A', 'SITE_B', 'SITE_C']);
      const settings = loadAuditorSettings({ TARN_AUDITOR_RSES: 'SITE_D', TARN_AUDITOR_GRACE_SECONDS: '60', TARN_AUDITOR_DELETE_DARK: 'false' }, ['--rse', 'SITE_A']);
      expect(settings).toMatchObject({ rses: ['SITE_D', 'SITE_A'], onDemand: ['SITE_A'], audit: { graceSeconds: 60, deleteDark: false } });
      expect(() => loadAuditorSettings({ TARN_AUDITOR_MAX_MISSING_FRACTION: '2' }, [])).toThrow('TARN_AUDITOR_MAX_MISSING_FRACTION=2');
    });
  });
});
