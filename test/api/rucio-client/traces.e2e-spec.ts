import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { TraceService } from '@tarn/core/traces/trace.service.js';
import { ReaperService } from '@tarn/core/reaper/reaper.service.js';
import { runRucioBatch } from '@tarn/testing/api.js';
import type { CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';
import { describeResult, expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { KronosWorker } from '../../../apps/kronos/src/kronos.worker.js';
import { TRACE_CALLS } from './stock-calls.plan.js';
import { posixArea, stockClientWorld, type PosixArea, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const BYTES = 4096;
const HOUR = 3600_000;
const REAPER = { batchSize: 1000, concurrency: 4, graceSeconds: 600, maxBatchesPerRse: 10 };

/**
 * What a read through the stock client changes: `rucio download` (and the legacy `rucio get`) send a trace, the
 * kronos daemon applies it in a batch (the file's last access, the tombstone of its unlocked replica follows), and
 * the reaper, when it must free space, deletes the least recently used replica first.
 */
describe('traces of stock-client downloads', () => {
  const calls = new StockCalls(TRACE_CALLS);
  let w: StockClientWorld;
  let area: PosixArea;
  let posix: CreatedRse;
  let work: string;
  const names = ['night.a', 'night.b', 'night.c'];

  beforeAll(async () => {
    w = await stockClientWorld();
    area = await posixArea(w, 'traces');
    ({ rse: posix, work } = area);
    for (const name of names) fs.writeFileSync(path.join(work, name), randomBytes(BYTES));
    const uploaded = await runRucioBatch([w.user.step('rucio', ['upload', '--rse', posix.rse, '--scope', w.scope, ...names.map((n) => path.join(work, n))])]);
    expect(uploaded.map(describeResult)).toEqual([expect.stringMatching(/^exit 0/)]);
    expect(await passQueuedVerifications(w.db.dataSource)).toBe(3);
    // The upload's rules go: the replicas are unlocked and wait for the reaper, last read 3, 2 and 1 hours ago.
    const rules = await w.db.dataSource.query(`SELECT id FROM rules WHERE scope = $1`, [w.scope]);
    expect(rules).toHaveLength(3);
    const removed = await runRucioBatch(rules.map((r: { id: string }) => w.user.step('rucio', ['rule', 'remove', r.id])));
    expect(removed.filter((r) => r.code !== 0).map(describeResult)).toEqual([]);
    await w.db.dataSource.query(
      `UPDATE replicas r SET accessed_at = now() - make_interval(hours => u.h), tombstone = now() - make_interval(hours => u.h)
         FROM unnest($2::varchar[], $3::int[]) AS u(name, h) WHERE r.scope = $1 AND r.name = u.name`,
      [w.scope, names, [3, 2, 1]],
    );
    await w.db.dataSource.query(
      `UPDATE dids d SET accessed_at = now() - make_interval(hours => u.h) FROM unnest($2::varchar[], $3::int[]) AS u(name, h) WHERE d.scope = $1 AND d.name = u.name`,
      [w.scope, names, [3, 2, 1]],
    );
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
    area?.drop();
  });

  const replicaOf = async (name: string) =>
    (await w.db.dataSource.query(`SELECT accessed_at, access_cnt, tombstone, lock_cnt FROM replicas WHERE scope = $1 AND name = $2 AND rse_id = $3`, [w.scope, name, posix.id]))[0];
  const accessedAt = (name: string) =>
    w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(str(Client().get_metadata(sys.argv[1], sys.argv[2])['accessed_at'])))`, [w.scope, name]);

  it('records the reads of rucio download and rucio get: the files are marked read once kronos applies the traces', async () => {
    const before = await replicaOf('night.a');
    expect(before.lock_cnt).toBe(0);
    const downloads = path.join(work, 'downloads');
    const results = await calls.run([
      calls.call('rucio download (a trace)', w.user.step('rucio', ['download', '--dir', downloads, `${w.scope}:night.a`])),
      calls.call('rucio get (legacy, a trace)', w.user.step('rucio', ['get', '--dir', downloads, `${w.scope}:night.b`])),
    ]);
    expectSucceeded(results);
    expect(results.of('rucio get (legacy, a trace)').stderr).toContain('This method is being deprecated');
    for (const name of ['night.a', 'night.b']) {
      expect(fs.readFileSync(path.join(downloads, w.scope, name)).equals(fs.readFileSync(path.join(work, name)))).toBe(true);
    }
    // Queued, not yet applied: nothing changed.
    const [{ queued }] = await w.db.dataSource.query(`SELECT count(*)::int AS queued FROM traces WHERE scope = $1`, [w.scope]);
    expect(queued).toBe(2);
    expect((await replicaOf('night.a')).accessed_at).toEqual(before.accessed_at);

    const kronos = new KronosWorker(w.api.app.get(TraceService, { strict: false }), { intervalMs: 1000, batchSize: 1000, passBudgetMs: 5000 });
    await new DaemonRunner(kronos, { dataSource: w.db.dataSource, metrics: new DaemonMetrics() }).runOnce();
    const [{ left }] = await w.db.dataSource.query(`SELECT count(*)::int AS left FROM traces`);
    expect(left).toBe(0);

    const read = await calls.run([
      calls.call('Client.get_metadata accessed_at (after a download)', accessedAt('night.a')),
      calls.call('Client.get_metadata accessed_at (after a legacy get)', accessedAt('night.b')),
      calls.call('Client.get_metadata accessed_at (not read)', accessedAt('night.c')),
    ]);
    expectSucceeded(read);
    const at = (label: Parameters<typeof read.of>[0]) => new Date(`${lastJson<string>(read.of(label)).replace(' ', 'T')}Z`).getTime();
    for (const label of ['Client.get_metadata accessed_at (after a download)', 'Client.get_metadata accessed_at (after a legacy get)'] as const) {
      expect(Math.abs(at(label) - Date.now())).toBeLessThan(5 * 60_000);
    }
    expect(Date.now() - at('Client.get_metadata accessed_at (not read)')).toBeGreaterThan(HOUR - 60_000);
    for (const name of ['night.a', 'night.b']) {
      const replica = await replicaOf(name);
      expect(Number(replica.access_cnt)).toBe(1);
      expect(Math.abs(new Date(replica.accessed_at).getTime() - Date.now())).toBeLessThan(5 * 60_000);
      // An unlocked replica's tombstone follows its last read: the reaper takes the least recently used first.
      expect(new Date(replica.tombstone).getTime()).toBe(new Date(replica.accessed_at).getTime());
    }
  }, TIMEOUT);

  it('the reaper, freeing the space of one file, deletes the least recently read one: not the oldest upload, which was read', async () => {
    // No free space is reported and MinFreeSpace asks for one file's worth.
    await w.db.dataSource.query(`INSERT INTO rse_usage (rse_id, source, used, free, files) VALUES ($1, 'storage', $2, 0, 3)`, [posix.id, 3 * BYTES]);
    await w.db.dataSource.query(`INSERT INTO rse_limits (rse_id, name, value) VALUES ($1, 'MinFreeSpace', $2)`, [posix.id, BYTES]);
    const reaper = new ReaperService(w.db.dataSource);
    const [target] = await reaper.reapableRses(REAPER, [posix.id]);
    expect(target).toBeDefined();
    const result = await reaper.reapRse(target, REAPER);
    expect(result).toMatchObject({ deleted: 1, failed: 0 });
    const left = await w.db.dataSource.query(`SELECT name FROM replicas WHERE scope = $1 AND rse_id = $2 ORDER BY name`, [w.scope, posix.id]);
    expect(left.map((r: { name: string }) => r.name)).toEqual(['night.a', 'night.b']);

    const listed = await calls.run([
      calls.call(
        'Client.list_replicas (after the reaper)',
        w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(sorted(r['name'] for r in Client().list_replicas([{'scope': sys.argv[1], 'name': n} for n in sys.argv[2:]]) if r['rses'])))`, [w.scope, ...names]),
      ),
    ]);
    expect(lastJson(listed.of('Client.list_replicas (after the reaper)'))).toEqual(['night.a', 'night.b']);
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
