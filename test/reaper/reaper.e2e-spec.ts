/**
 * The reaper on a posix RSE against real PostgreSQL: which tombstoned replicas go (epoch always, others oldest
 * first only while the RSE is below MinFreeSpace, all on greedy RSEs), never locked ones nor a live transfer's
 * only source; storage files, rows, usage, events and per-RSE metrics agree afterwards; two instances at once
 * delete every replica exactly once; an RSE whose root:// door is down is reaped through its WebDAV door.
 */
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { deterministicPath, EPOCH_TOMBSTONE } from '@tarn/domain';
import { ReaperService } from '@tarn/core/reaper/reaper.service.js';
import { ReaperMetrics } from '@tarn/core/reaper/reaper.metrics.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents } from '@tarn/testing/factories/rule.factory.js';
import { ReaperWorker } from '../../apps/reaper/src/reaper.worker.js';
import type { ReaperWorkerSettings } from '../../apps/reaper/src/reaper.config.js';
import { Readable } from 'node:stream';
import { createStorage } from '@tarn/storage';
import { createFiles } from '@tarn/testing/factories/did.factory.js';
import { closedPort } from '@tarn/testing/host.js';
import { createTestXrootdArea } from '@tarn/testing/storage.js';
import { createPosixRse, filesOnDisk, type PosixRse, replicaNames, seedReplicas } from './support/reaper-fixtures.js';

jest.setTimeout(60_000);

const SETTINGS: ReaperWorkerSettings = { intervalMs: 1000, rseConcurrency: 4, batchSize: 1000, concurrency: 64, graceSeconds: 600, maxBatchesPerRse: 100 };
const MINUTE = 60_000;

describe('reaper', () => {
  let db: TestDatabase;
  let service: ReaperService;
  let account: string;
  let scope: string;
  const rses: PosixRse[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    service = new ReaperService(db.dataSource);
    account = (await createAccount(db.dataSource, { account: 'jdoe' })).account;
    scope = (await createScope(db.dataSource, { scope: 'user.jdoe', account })).scope;
  });

  afterAll(async () => {
    for (const rse of rses) await rse.drop();
    await db?.drop();
  });

  async function posixRse(input: Parameters<typeof createPosixRse>[1] = {}): Promise<PosixRse> {
    const rse = await createPosixRse(db.dataSource, input);
    rses.push(rse);
    return rse;
  }

  function pass(settings: ReaperWorkerSettings = SETTINGS, registry = new Registry()) {
    const worker = new ReaperWorker(service, null, settings, new ReaperMetrics(registry), undefined);
    const runner = new DaemonRunner(worker, { dataSource: db.dataSource, metrics: new DaemonMetrics() });
    return { run: () => runner.runOnce(), registry };
  }

  const deletionEvents = async (rseId: string) => (await readEvents(db.dataSource, 'deletion.done')).filter((e) => e.rseId === rseId);
  const onDisk = (rse: PosixRse, name: string) => existsSync(join(rse.dir, deterministicPath(scope, name)));

  it("removes a replica whose file another replica references without deleting the file, and says so", async () => {
    // 'identity' paths: user.jdoe:b/c.dat and user.jdoe.b:c.dat are both user/jdoe/b/c.dat. The second, registered
    // before such twins were refused, is the one that goes.
    const rse = await posixRse({ attributes: { lfn2pfn_algorithm: 'identity', greedyDeletion: true } });
    await createScope(db.dataSource, { scope: 'user.jdoe.b', account });
    const [victim] = await createFiles(db.dataSource, { scope, account, count: 1, bytes: 5 });
    await db.dataSource.query(`UPDATE dids SET name = 'b/c.dat' WHERE scope = $1 AND name = $2`, [scope, victim.name]);
    const [twin] = await createFiles(db.dataSource, { scope: 'user.jdoe.b', account, count: 1, bytes: 5 });
    await db.dataSource.query(`UPDATE dids SET name = 'c.dat' WHERE scope = 'user.jdoe.b' AND name = $1`, [twin.name]);
    const file = join(rse.dir, 'user/jdoe/b/c.dat');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'hello');
    await createReplicas(db.dataSource, { rseId: rse.id, files: [{ scope, name: 'b/c.dat', bytes: 5 }], lockCnt: 1 });
    await createReplicas(db.dataSource, { rseId: rse.id, files: [{ scope: 'user.jdoe.b', name: 'c.dat', bytes: 5 }], tombstone: EPOCH_TOMBSTONE });

    const { run, registry } = pass();
    await run();
    expect([...(await replicaNames(db.dataSource, rse.id))]).toEqual(['b/c.dat']);
    expect(existsSync(file)).toBe(true);
    expect(await deletionEvents(rse.id)).toEqual([]);
    expect((await readEvents(db.dataSource, 'deletion.kept')).filter((e) => e.rseId === rse.id)).toEqual([
      expect.objectContaining({ scope: 'user.jdoe.b', name: 'c.dat', rse: rse.rse, reason: expect.stringContaining('referenced by another replica') }),
    ]);
    const kept = await registry.getSingleMetric('tarn_reaper_files_kept_total')!.get();
    expect(kept.values).toEqual([expect.objectContaining({ labels: { rse: rse.rse }, value: 1 })]);
  });

  it('below MinFreeSpace deletes exactly what frees it, oldest tombstones first, one event each', async () => {
    const rse = await posixRse({ limits: { MinFreeSpace: 50 * 200 }, usage: [{ source: 'storage', used: 250 * 200, free: 1 }] });
    const now = Date.now();
    // File i was last used i minutes after the oldest one: files 0..49 are the 50 least recently used. Shuffled
    // insertion order, so that row order cannot pass for tombstone order.
    const files = await seedReplicas(db.dataSource, rse, {
      scope, account, count: 250, bytes: 200, prefix: 'lru',
      tombstone: (i) => new Date(now - 10 * 24 * 60 * MINUTE + ((i * 97) % 250) * MINUTE),
    });
    const oldest = files.filter((_, i) => (i * 97) % 250 < 50).map((f) => f.name).sort();

    const { run, registry } = pass();
    const result = await run();
    expect(result.items).toBe(50);

    const left = await replicaNames(db.dataSource, rse.id);
    expect(left.size).toBe(200);
    const deleted = files.map((f) => f.name).filter((n) => !left.has(n)).sort();
    expect(deleted).toEqual(oldest);
    for (const f of files) expect(onDisk(rse, f.name)).toBe(left.has(f.name));
    expect((await filesOnDisk(rse)).size).toBe(200);

    const events = await deletionEvents(rse.id);
    expect(events).toHaveLength(50);
    expect(events.map((e) => e.name).sort()).toEqual(oldest);
    expect(events.every((e) => e.bytes === 200 && e.rse === rse.rse && e.scope === scope)).toBe(true);

    const [usage] = await db.dataSource.query(`SELECT used::int, free::int FROM rse_usage WHERE rse_id = $1 AND source = 'storage'`, [rse.id]);
    expect(usage).toEqual({ used: 200 * 200, free: 50 * 200 + 1 });
    const metrics = await registry.getSingleMetric('tarn_reaper_deletions_total')!.get();
    expect(metrics.values).toEqual([expect.objectContaining({ labels: { rse: rse.rse }, value: 50 })]);

    // MinFreeSpace is met now: nothing more goes.
    await run();
    expect((await replicaNames(db.dataSource, rse.id)).size).toBe(200);
  });

  it('with enough free space deletes only epoch tombstones, never locked or future-tombstoned replicas', async () => {
    const rse = await posixRse({ limits: { MinFreeSpace: 1000 }, usage: [{ source: 'storage', used: 0, free: 1e12 }] });
    const now = Date.now();
    const files = await seedReplicas(db.dataSource, rse, {
      scope, account, count: 60, bytes: 100, prefix: 'roomy',
      tombstone: (i) => (i < 20 ? EPOCH_TOMBSTONE : i < 40 ? new Date(now - (i + 1) * MINUTE) : i < 50 ? new Date(now + 60 * MINUTE) : null),
    });
    // Files 50..59: locked (lock_cnt 1, no tombstone).
    await db.dataSource.query(`UPDATE replicas SET lock_cnt = 1 WHERE rse_id = $1 AND tombstone IS NULL`, [rse.id]);

    expect((await pass().run()).items).toBe(20);
    const left = await replicaNames(db.dataSource, rse.id);
    expect([...left].sort()).toEqual(files.slice(20).map((f) => f.name));
    for (const f of files) expect(onDisk(rse, f.name)).toBe(left.has(f.name));
    expect(await deletionEvents(rse.id)).toHaveLength(20);
  });

  it('an RSE without a known free space deletes epoch tombstones only; a greedy RSE everything tombstoned', async () => {
    const plain = await posixRse({ limits: { MinFreeSpace: 1e12 } });
    const greedy = await posixRse({ attributes: { greedyDeletion: true } });
    const now = Date.now();
    const tombstone = (i: number) => (i < 5 ? EPOCH_TOMBSTONE : i < 25 ? new Date(now - i * MINUTE) : i < 30 ? new Date(now + MINUTE) : null);
    await seedReplicas(db.dataSource, plain, { scope, account, count: 30, bytes: 10, prefix: 'plain', tombstone });
    await seedReplicas(db.dataSource, greedy, { scope, account, count: 30, bytes: 10, prefix: 'greedy', tombstone });

    await pass().run();
    expect((await replicaNames(db.dataSource, plain.id)).size).toBe(25);
    expect((await replicaNames(db.dataSource, greedy.id)).size).toBe(5);
    expect((await filesOnDisk(greedy)).size).toBe(5);
  });

  it('keeps the only source of a queued or submitted transfer, and the source a transfer uses', async () => {
    const rse = await posixRse({ attributes: { greedyDeletion: true } });
    const elsewhere = await createRse(db.dataSource);
    const destination = await createRse(db.dataSource);
    const files = await seedReplicas(db.dataSource, rse, { scope, account, count: 4, bytes: 10, prefix: 'src', tombstone: () => EPOCH_TOMBSTONE });
    // 0: only source of a QUEUED request; 1: only source of a SUBMITTED one; 2: a QUEUED request but another
    // AVAILABLE copy exists; 3: another copy exists, but the SUBMITTED request uses this RSE as its source.
    await createReplicas(db.dataSource, { rseId: elsewhere.id, files: [files[2], files[3]], lockCnt: 1 });
    await db.dataSource.query(
      `INSERT INTO requests (scope, name, dest_rse_id, state, source_rse_id)
       SELECT $1, u.name, $2, u.state::requests_state_enum, u.source FROM unnest($3::varchar[], $4::varchar[], $5::uuid[]) AS u(name, state, source)`,
      [scope, destination.id, files.map((f) => f.name), ['Q', 'S', 'Q', 'S'], [null, null, null, rse.id]],
    );

    await pass().run();
    expect([...(await replicaNames(db.dataSource, rse.id))].sort()).toEqual([files[0].name, files[1].name, files[3].name]);
    expect(onDisk(rse, files[2].name)).toBe(false);
    expect(onDisk(rse, files[0].name)).toBe(true);

    // A transfer the worker reports DONE still needs its source until the finisher has made the copy AVAILABLE.
    await db.dataSource.query(`UPDATE requests SET state = 'D' WHERE scope = $1 AND name = ANY($2::varchar[])`, [scope, files.map((f) => f.name)]);
    await pass().run();
    expect([...(await replicaNames(db.dataSource, rse.id))].sort()).toEqual([files[0].name, files[1].name, files[3].name]);
    // Once the finisher has taken them (archived), they go too.
    await db.dataSource.query(`DELETE FROM requests WHERE scope = $1 AND name = ANY($2::varchar[])`, [scope, files.map((f) => f.name)]);
    await pass().run();
    expect((await replicaNames(db.dataSource, rse.id)).size).toBe(0);
  });

  it('two reapers at once delete each replica exactly once, in several batches', async () => {
    const rse = await posixRse({ attributes: { greedyDeletion: true }, usage: [{ source: 'rucio', used: 600 * 10, free: null, files: 600 }] });
    await seedReplicas(db.dataSource, rse, { scope, account, count: 600, bytes: 10, prefix: 'pair', tombstone: (i) => new Date(Date.now() - (i + 1) * 1000) });
    const small = { ...SETTINGS, batchSize: 50, concurrency: 8 };
    const [a, b] = await Promise.all([pass(small).run(), pass(small).run()]);
    expect(a.items! + b.items!).toBe(600);
    expect((await replicaNames(db.dataSource, rse.id)).size).toBe(0);
    expect((await filesOnDisk(rse)).size).toBe(0);
    const events = await deletionEvents(rse.id);
    expect(events).toHaveLength(600);
    expect(new Set(events.map((e) => e.name)).size).toBe(600);
    const [usage] = await db.dataSource.query(`SELECT used::int, files::int FROM rse_usage WHERE rse_id = $1 AND source = 'rucio'`, [rse.id]);
    expect(usage).toEqual({ used: 0, files: 0 });
  });

  it('a failed storage deletion keeps the replica BEING_DELETED with its error, retried after the grace period', async () => {
    const rse = await posixRse({ attributes: { greedyDeletion: true } });
    const [file] = await seedReplicas(db.dataSource, rse, { scope, account, count: 1, bytes: 10, prefix: 'fail', tombstone: () => EPOCH_TOMBSTONE });
    const [target] = await service.reapableRses(SETTINGS, [rse.id]);
    const broken = { delete: async () => { throw new Error('storage said no'); }, close: async () => undefined } as never;
    const first = await service.reapRse(target, SETTINGS, { openStorage: () => broken });
    expect(first).toMatchObject({ deleted: 0, failed: 1 });
    const [row] = await db.dataSource.query(`SELECT state, error FROM replicas WHERE rse_id = $1`, [rse.id]);
    expect(row).toEqual({ state: 'B', error: 'storage said no' });
    expect((await readEvents(db.dataSource, 'deletion.failed')).filter((e) => e.rseId === rse.id)).toEqual([
      { scope, name: file.name, rse: rse.rse, rseId: rse.id, error: 'storage said no' },
    ]);
    // Within the grace period nobody takes it again; after it, the next reaper finishes the deletion.
    expect(await service.reapableRses(SETTINGS, [rse.id])).toEqual([]);
    expect((await pass({ ...SETTINGS, graceSeconds: 0 }).run()).items).toBe(1);
    expect((await replicaNames(db.dataSource, rse.id)).size).toBe(0);
    expect(onDisk(rse, file.name)).toBe(false);
  });
  it("an RSE whose root:// door is down is reaped through its next delete protocol, and the reaper says so once", async () => {
    const area = await createTestXrootdArea('a');
    rses.push({ drop: area.drop } as PosixRse);
    const down = await closedPort();
    const rse = await createRse(db.dataSource, {
      attributes: { greedyDeletion: true },
      protocols: [
        { scheme: 'root', hostname: '127.0.0.1', port: down, prefix: area.protocol.prefix, impl: 'rucio.rse.protocols.xrootd.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } },
        { ...area.httpProtocol, port: area.httpProtocol.port!, impl: 'rucio.rse.protocols.webdav.Default', domains: { wan: { read: 2, write: 2, delete: 2 } } },
      ],
    });
    const files = await createFiles(db.dataSource, { scope, account, count: 3, prefix: 'doors', bytes: 5 });
    const writer = createStorage(area.protocol);
    await Promise.all(files.map((f) => writer.write(deterministicPath(f.scope, f.name), Readable.from([Buffer.from('12345')]))));
    await writer.close();
    await createReplicas(db.dataSource, { rseId: rse.id, files });
    await db.dataSource.query(`UPDATE replicas SET tombstone = $2 WHERE rse_id = $1`, [rse.id, EPOCH_TOMBSTONE.toISOString()]);

    const warnings: string[] = [];
    const [target] = await service.reapableRses(SETTINGS, [rse.id]);
    expect(target.protocols.map((p) => p.scheme)).toEqual(['root', 'dav']);
    const result = await service.reapRse(target, SETTINGS, { logger: { log: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });

    expect(result).toMatchObject({ deleted: 3, failed: 0 });
    expect((await replicaNames(db.dataSource, rse.id)).size).toBe(0);
    for (const f of files) expect(existsSync(join(area.server.files, area.directory, deterministicPath(f.scope, f.name)))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^RSE '${rse.rse}': deleting through root://127\\.0\\.0\\.1:${down}//\\S+ failed \\(.*unavailable.*\\); deleted through http://`));
  });
});
