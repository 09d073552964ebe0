import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { TraceService } from '@tarn/core/traces/trace.service.js';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

const DAY = 24 * 3600 * 1000;

/** A download trace as the stock client sends it (rucio.client.downloadclient). */
const downloadTrace = (scope: string, filename: string, rse: string, extra: Record<string, unknown> = {}) => ({
  hostname: 'node1', account: 'jdoe', eventType: 'download', eventVersion: 'rucio-clients 41.5.1', uuid: 'c0ffee', clientState: 'DONE',
  scope, filename, dataset: '', datasetScope: '', remoteSite: rse, filesize: 1000, protocol: 'file', transferStart: 1, transferEnd: 2,
  traceTimeentry: 3, traceTimeentryUnix: Date.now() / 1000, ...extra,
});

describe('traces and kronos', () => {
  let db: TestDatabase;
  let api: TestApi;
  let rse: CreatedRse;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: 'kronos-tests' });
    await createScope(db.dataSource, { scope: 'user.jdoe', account: 'jdoe' });
    await createScope(db.dataSource, { scope: 'user.secret', account: 'jdoe', restricted: true });
    rse = await createRse(db.dataSource);
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', 'kronos-tests')).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const send = (body: unknown, withToken = false) => {
    const r = request(api.url).post('/traces/').set('Content-Type', 'application/json');
    return (withToken ? r.set('X-Rucio-Auth-Token', token) : r).send(JSON.stringify(body));
  };
  const applyAll = async () => {
    const applied = await api.app.get(TraceService).applyBatch(10_000);
    expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM traces`))[0].n).toBe(0);
    return applied;
  };
  const replica = async (scope: string, name: string) =>
    (await db.dataSource.query(`SELECT accessed_at, access_cnt, tombstone FROM replicas WHERE scope = $1 AND name = $2 AND rse_id = $3`, [scope, name, rse.id]))[0];
  const did = async (scope: string, name: string) => (await db.dataSource.query(`SELECT accessed_at, access_cnt, expired_at FROM dids WHERE scope = $1 AND name = $2`, [scope, name]))[0];

  it('records a read of each replica, file and dataset, and moves an unlocked tombstone to the last access', async () => {
    const ds = await createDataset(db.dataSource, { scope: 'user.jdoe', account: 'jdoe', files: 3 });
    const [a, b, c] = ds.files;
    const old = new Date(Date.now() - 10 * DAY);
    await createReplicas(db.dataSource, { rseId: rse.id, files: [a], tombstone: old, accessedAt: old });
    await createReplicas(db.dataSource, { rseId: rse.id, files: [b], tombstone: new Date(0) });
    await createReplicas(db.dataSource, { rseId: rse.id, files: [c], lockCnt: 1 });
    const readAt = Date.now() - 3600_000;
    await send(downloadTrace(a.scope, a.name, rse.rse, { traceTimeentryUnix: readAt / 1000, dataset: ds.name, datasetScope: ds.scope })).expect(201);
    await send([downloadTrace(b.scope, b.name, rse.rse), downloadTrace(c.scope, c.name, rse.rse), downloadTrace(a.scope, a.name, rse.rse)]).expect(201);
    expect(await applyAll()).toMatchObject({ traces: 4, replicas: 3 });

    const ra = await replica(a.scope, a.name);
    expect(Number(ra.access_cnt)).toBe(2);
    expect(Math.abs(new Date(ra.accessed_at).getTime() - Date.now())).toBeLessThan(60_000);
    expect(new Date(ra.tombstone).getTime()).toBe(new Date(ra.accessed_at).getTime());
    expect(new Date((await replica(b.scope, b.name)).tombstone).getTime()).toBe(0);
    expect((await replica(c.scope, c.name)).tombstone).toBeNull();
    expect(Number((await did(a.scope, a.name)).access_cnt)).toBe(2);
    const dataset = await did(ds.scope, ds.name);
    expect(Number(dataset.access_cnt)).toBe(1);
    expect(Math.abs(new Date(dataset.accessed_at).getTime() - readAt)).toBeLessThan(2000);
  });

  it('queues only reads of valid files, accepts everything else silently, and never dates an access in the future', async () => {
    const ds = await createDataset(db.dataSource, { scope: 'user.jdoe', account: 'jdoe', files: 1 });
    const [f] = ds.files;
    await createReplicas(db.dataSource, { rseId: rse.id, files: [f] });
    await send({ eventType: 'upload', scope: f.scope, filename: f.name, remoteSite: rse.rse }).expect(201);
    await send([downloadTrace('..', 'x', rse.rse), downloadTrace(f.scope, '', rse.rse), downloadTrace(f.scope, f.name, rse.rse, { clientState: 'FAILED' }), 'text', null]).expect(201);
    expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM traces`))[0].n).toBe(0);
    await send(downloadTrace(f.scope, f.name, rse.rse, { traceTimeentryUnix: Date.now() / 1000 + 365 * 86400 })).expect(201);
    await applyAll();
    expect(new Date((await replica(f.scope, f.name)).accessed_at).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('extends a lifetime on access where configured, only for reads by an account and never in restricted scopes', async () => {
    const soon = new Date(Date.now() + DAY);
    const open = await createDataset(db.dataSource, { scope: 'user.jdoe', account: 'jdoe', files: 2 });
    const secret = await createDataset(db.dataSource, { scope: 'user.secret', account: 'jdoe', files: 1 });
    const files = [...open.files, ...secret.files];
    await db.dataSource.query(`UPDATE dids SET expired_at = $1 WHERE (scope, name) IN (SELECT * FROM unnest($2::varchar[], $3::varchar[]))`, [soon, files.map((f) => f.scope), files.map((f) => f.name)]);
    await db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('traces', 'extend_lifetime_days', '30')`);
    try {
      await send(downloadTrace(open.files[0].scope, open.files[0].name, rse.rse)).expect(201);
      await send(downloadTrace(open.files[1].scope, open.files[1].name, rse.rse), true).expect(201);
      await send(downloadTrace(secret.files[0].scope, secret.files[0].name, rse.rse), true).expect(201);
      expect(await applyAll()).toMatchObject({ traces: 3, dids: 3, extended: 1 });
      expect(new Date((await did(open.files[0].scope, open.files[0].name)).expired_at).getTime()).toBe(soon.getTime());
      expect(new Date((await did(open.files[1].scope, open.files[1].name)).expired_at).getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
      expect(new Date((await did(secret.files[0].scope, secret.files[0].name)).expired_at).getTime()).toBe(soon.getTime());
    } finally {
      await db.dataSource.query(`DELETE FROM configs WHERE section = 'traces'`);
    }
  });
});
