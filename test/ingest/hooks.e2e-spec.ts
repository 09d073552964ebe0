import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Forbidden, InvalidInput, ReplicaState } from '@tarn/domain';
import { deterministicPath } from '@tarn/domain';
import { ingestContext, type IngestContext, verifyAll, writeFiles } from './support/ingest-fixtures.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { Registry } from 'prom-client';
import { HookMetrics } from '@tarn/core/ingest/hook.metrics.js';
import { sample } from '@tarn/testing/prometheus.js';
import { IngesterWorker } from '../../apps/ingester/src/ingester.worker.js';
import { testRunner } from '../daemons/support/rule-daemons-fixtures.js';

describe('ingestion hooks', () => {
  let t: IngestContext;

  beforeAll(async () => {
    t = await ingestContext();
  });

  afterAll(async () => {
    await t?.close();
  });

  const filesCreatedMentions = async (name: string) =>
    Number(
      (await t.db.dataSource.query(`SELECT count(*) AS n FROM outbox_messages WHERE event_type = 'files.created' AND payload->'names' ? $1`, [name]))[0].n,
    );

  describe('validation', () => {
    it('refuses an invalid cron expression with a message naming the field', async () => {
      const error = await t.hooks
        .createHook(t.user.issuer, { name: 'bad-cron', schedule: '61 2 * * *', source: { rse: 'TELESCOPE_DISK' }, target: { scope: t.scope } })
        .catch((e) => e);
      expect(error).toBeInstanceOf(InvalidInput);
      expect(error.message).toMatch(/invalid schedule '61 2 \* \* \*' \(minute: 61 is a invalid expression for minute\)/);
      await expect(
        t.hooks.createHook(t.user.issuer, { name: 'four', schedule: '0 2 * *', source: { rse: 'TELESCOPE_DISK' }, target: { scope: t.scope } }),
      ).rejects.toThrow(/expected 5 or 6 fields/);
    });

    it('refuses templates that name unknown fields, and drop-boxes for non-administrators', async () => {
      await expect(
        t.hooks.createHook(t.user.issuer, {
          name: 'bad-template',
          schedule: '0 2 * * *',
          source: { rse: 'TELESCOPE_DISK' },
          target: { scope: t.scope, dataset: 'run.{run}' },
        }),
      ).rejects.toThrow(/refers to \{run\}, which is neither a built-in field/);
      await expect(
        t.hooks.createHook(t.user.issuer, {
          name: 'my-box',
          schedule: '0 2 * * *',
          source: { dropbox: '/etc' },
          target: { scope: t.scope, rse: 'ARCHIVE' },
        }),
      ).rejects.toBeInstanceOf(Forbidden);
    });
  });

  describe('zero-copy hook', () => {
    const paths = ['user/jdoe/night/2026-11-21/run_4711/img_001.fits', 'user/jdoe/night/2026-11-21/run_4711/img_002.fits', 'user/jdoe/night/2026-11-21/run_4712/img_001.fits'];

    it('registers the files where they are, in datasets from the template, with metadata and rules, each once', async () => {
      await writeFiles(t.disk.dir, [...paths, 'user/jdoe/night/2026-11-21/README.txt', 'elsewhere/x.fits']);
      const hook = await t.hooks.createHook(t.user.issuer, {
        name: 'telescope',
        schedule: '0 2 * * *',
        source: { rse: 'TELESCOPE_DISK', prefix: 'user/jdoe/night', glob: '**/*.fits' },
        target: {
          scope: t.scope,
          name: 'tel.run{run}.{basename}',
          dataset: 'tel.{night}.run{run}',
          pattern: '^(?<night>\\d{4}-\\d{2}-\\d{2})/run_(?<run>\\d+)/',
          meta: { instrument: 'cam1' },
        },
        rules: [{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 86400 }],
      });
      expect(hook.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
      expect(hook.source).toEqual({ kind: 'rse', rse: 'TELESCOPE_DISK', prefix: 'user/jdoe/night', glob: '**/*.fits' });

      const run = await t.runner.run(hook.id, { force: true });
      expect(run).toMatchObject({ state: 'DONE', trigger: 'MANUAL', filesListed: 3, filesRegistered: 3, filesSkipped: 0, filesFailed: 0, datasetsCreated: 2, rulesCreated: 2 });

      const replicas = await t.db.dataSource.query(
        `SELECT name, path, state FROM replicas WHERE scope = $1 AND rse_id = $2 ORDER BY name`,
        [t.scope, t.disk.id],
      );
      expect(replicas.map((r: { name: string }) => r.name)).toEqual(['tel.run4711.img_001.fits', 'tel.run4711.img_002.fits', 'tel.run4712.img_001.fits']);
      expect(replicas.map((r: { path: string }) => r.path)).toEqual(['user/jdoe/night/2026-11-21/run_4711/img_001.fits', 'user/jdoe/night/2026-11-21/run_4711/img_002.fits', 'user/jdoe/night/2026-11-21/run_4712/img_001.fits']);
      const meta = await t.db.dataSource.query(`SELECT meta FROM did_meta WHERE scope = $1 AND name = 'tel.run4711.img_002.fits'`, [t.scope]);
      expect(meta[0].meta).toEqual({ night: '2026-11-21', run: 4711, instrument: 'cam1' });
      const content = await t.db.dataSource.query(`SELECT name, child_name FROM contents WHERE scope = $1 ORDER BY name, child_name`, [t.scope]);
      expect(content).toEqual([
        { name: 'tel.2026-11-21.run4711', child_name: 'tel.run4711.img_001.fits' },
        { name: 'tel.2026-11-21.run4711', child_name: 'tel.run4711.img_002.fits' },
        { name: 'tel.2026-11-21.run4712', child_name: 'tel.run4712.img_001.fits' },
      ]);
      const rules = await t.db.dataSource.query(`SELECT name, rse_expression, copies, account FROM rules WHERE scope = $1 ORDER BY name`, [t.scope]);
      expect(rules).toEqual([
        { name: 'tel.2026-11-21.run4711', rse_expression: 'QOS=SAFE', copies: 1, account: 'jdoe' },
        { name: 'tel.2026-11-21.run4712', rse_expression: 'QOS=SAFE', copies: 1, account: 'jdoe' },
      ]);

      // The registrar verifies them on storage (checksums computed there) before they are AVAILABLE.
      expect(replicas.every((r: { state: string }) => r.state !== ReplicaState.AVAILABLE)).toBe(true);
      expect(await verifyAll(t.registrar)).toBe(3);

      // A second run finds nothing new; a new file of an existing dataset is attached, without new rules.
      await writeFiles(t.disk.dir, ['user/jdoe/night/2026-11-21/run_4712/img_002.fits']);
      const again = await t.runner.run(hook.id, { force: true });
      expect(again).toMatchObject({ state: 'DONE', filesListed: 4, filesRegistered: 1, filesSkipped: 3, datasetsCreated: 0, rulesCreated: 0 });
      expect(await verifyAll(t.registrar)).toBe(1);
      for (const p of paths) expect(await filesCreatedMentions(`tel.run${p.includes('4711') ? 4711 : 4712}.${p.split('/').at(-1)}`)).toBe(1);

      const runs = await t.hooks.listRuns(t.user.issuer, 'telescope');
      expect(runs.map((r) => r.filesRegistered)).toEqual([1, 3]);
      expect(await t.hooks.fileCounts(t.user.issuer, 'telescope')).toEqual({ D: 4 });
    });

    it('records a file that does not fit (pattern) as an error of the run, registers the others, and tries it again next run', async () => {
      await writeFiles(t.disk.dir, ['user/jdoe/night/bad-night/run_1/img.fits']);
      const hook = await t.hooks.getHook(t.user.issuer, 'telescope');
      const run = await t.runner.run(hook.id, { force: true });
      expect(run).toMatchObject({ state: 'DONE', filesRegistered: 0, filesFailed: 1 });
      expect(run!.errors).toEqual([{ path: 'bad-night/run_1/img.fits', error: expect.stringMatching(/does not match the pattern/) }]);
    });

    it('runs only when due: the next tick, a tick missed while no ingester ran (catch-up), or "run now"', async () => {
      const hook = await t.hooks.createHook(t.user.issuer, {
        name: 'nightly',
        schedule: '0 3 * * *',
        source: { rse: 'TELESCOPE_DISK', prefix: 'user/jdoe/nowhere' },
        target: { scope: t.scope },
      });
      expect(await t.runner.run(hook.id)).toBeNull();
      expect((await t.runner.dueHooks()).map((h) => h.name)).not.toContain('nightly');

      // The ingester was down at the last tick: the hook runs at once, as a catch-up.
      await t.db.dataSource.query(`UPDATE hooks SET next_run_at = now() - interval '5 hours' WHERE id = $1`, [hook.id]);
      expect((await t.runner.dueHooks()).map((h) => h.name)).toContain('nightly');
      const caughtUp = await t.runner.run(hook.id);
      expect(caughtUp).toMatchObject({ trigger: 'CATCHUP', state: 'DONE' });
      const after = await t.hooks.getHook(t.user.issuer, 'nightly');
      expect(after.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
      expect(after.lastSuccessAt).not.toBeNull();
      expect(await t.runner.run(hook.id)).toBeNull();

      const requested = await t.hooks.requestRun(t.user.issuer, 'nightly');
      expect(requested.runRequestedAt).not.toBeNull();
      expect(await t.runner.run(hook.id)).toMatchObject({ trigger: 'MANUAL', state: 'DONE' });
      expect((await t.hooks.getHook(t.user.issuer, 'nightly')).runRequestedAt).toBeNull();
    });

    it('never runs one hook twice at once: a second runner gets nothing while the first holds it', async () => {
      const hook = await t.hooks.getHook(t.user.issuer, 'nightly');
      const holder = t.db.dataSource.createQueryRunner();
      await holder.connect();
      try {
        await holder.query(`SELECT pg_advisory_lock(hashtext('tarn.hook'), hashtext($1))`, [hook.id]);
        expect(await t.runner.run(hook.id, { force: true })).toBeNull();
      } finally {
        await holder.query(`SELECT pg_advisory_unlock_all()`);
        await holder.release();
      }
      expect(await t.runner.run(hook.id, { force: true })).toMatchObject({ state: 'DONE' });
    });

    it('counts the runs of each hook by state and the files they handled, on the metrics of the ingester', async () => {
      const registry = new Registry();
      const ingester = testRunner(t.db.dataSource, new IngesterWorker(t.runner, { intervalMs: 60_000, batchSize: 1000, concurrency: 2 }, new HookMetrics(registry)));
      await writeFiles(t.disk.dir, ['user/jdoe/night/2026-11-22/run_4800/img_001.fits', 'user/jdoe/night/2026-11-22/run_4800/img_002.fits']);
      await t.hooks.requestRun(t.user.issuer, 'telescope');
      await ingester.runOnce();
      const text = await registry.metrics();
      expect(sample(text, 'tarn_hook_runs_total', { hook: 'telescope', state: 'DONE' })).toBe(1);
      expect(sample(text, 'tarn_hook_files_total', { hook: 'telescope', outcome: 'registered' })).toBe(2);
      expect(sample(text, 'tarn_hook_files_total', { hook: 'telescope', outcome: 'failed' })).toBe(1); // bad-night, still refused
      expect(sample(text, 'tarn_hook_registered_bytes_total', { hook: 'telescope' })).toBeGreaterThan(0);
      expect(text).not.toContain('img_00');

      // A hook whose source cannot be read fails its run.
      await t.db.dataSource.query(`UPDATE rse_protocols SET prefix = '/nonexistent/tarn-hooks' WHERE rse_id = $1`, [t.disk.id]);
      try {
        await t.hooks.requestRun(t.user.issuer, 'telescope');
        await ingester.runOnce();
      } finally {
        await t.db.dataSource.query(`UPDATE rse_protocols SET prefix = $2 WHERE rse_id = $1`, [t.disk.id, t.disk.dir]);
        await ingester.stop();
      }
      expect(sample(await registry.metrics(), 'tarn_hook_runs_total', { hook: 'telescope', state: 'FAILED' })).toBe(1);
      await verifyAll(t.registrar); // the replicas of this run, settled like the others'
    });
  });

  describe('drop-box hook', () => {
    it('uploads to the deterministic path with adler32, and removes the local file once the replica is verified', async () => {
      const box = await createTestDirectory();
      try {
        await writeFiles(box.root, ['a.dat', 'sub/b.dat']);
        const hook = await t.hooks.createHook(t.root.issuer, {
          name: 'dropbox',
          account: 'jdoe',
          schedule: '*/10 * * * *',
          source: { dropbox: box.root },
          target: { scope: t.scope, rse: 'ARCHIVE', name: 'box.{stem}', dataset: 'box.{rundate}' },
          after: { removeSource: true },
        });
        const run = await t.runner.run(hook.id, { force: true });
        expect(run).toMatchObject({ state: 'DONE', filesRegistered: 2, sourcesRemoved: 0, filesFailed: 0 });
        const path = deterministicPath(t.scope, 'box.a', 'hash');
        expect((await stat(join(t.store.dir, path))).size).toBe('data of a.dat\n'.length);
        const [did] = await t.db.dataSource.query(`SELECT adler32, bytes FROM dids WHERE scope = $1 AND name = 'box.a'`, [t.scope]);
        expect(did.adler32).toMatch(/^[0-9a-f]{8}$/);
        expect(await t.hooks.fileCounts(t.user.issuer, 'dropbox')).toEqual({ R: 2 });

        // Not verified yet: the sources stay.
        expect((await t.runner.run(hook.id, { force: true }))!.sourcesRemoved).toBe(0);
        expect(await readdir(box.root)).toContain('a.dat');
        expect(await verifyAll(t.registrar)).toBe(2);
        const settled = await t.runner.run(hook.id, { force: true });
        expect(settled).toMatchObject({ sourcesRemoved: 2, filesRegistered: 0, filesListed: 0 });
        expect(await readdir(box.root)).not.toContain('a.dat');
        expect(await t.hooks.fileCounts(t.user.issuer, 'dropbox')).toEqual({ D: 2 });
      } finally {
        await box.drop();
      }
    });
  });
});
