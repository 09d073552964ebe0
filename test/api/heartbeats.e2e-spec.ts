import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { HeartbeatService } from '@tarn/daemon/heartbeat.service.js';
import { startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';

describe('GET /heartbeats', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: 'secret-heartbeats' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', 'secret-heartbeats')).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('lists daemon instances with their liveness, as a JSON list', async () => {
    const heartbeats = api.app.get(HeartbeatService);
    await heartbeats.beat({ executable: 'reaper', hostname: 'node1', pid: 101, thread: 'main' }, { rses: 3 });
    await heartbeats.beat({ executable: 'transfer-submitter', hostname: 'node2', pid: 202, thread: 'main' });
    await db.dataSource.query(`UPDATE heartbeats SET updated_at = now() - interval '10 minutes' WHERE executable = 'transfer-submitter'`);

    const response = await request(api.url).get('/heartbeats').set('X-Rucio-Auth-Token', token).expect(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual([
      expect.objectContaining({ readable: 'reaper', hostname: 'node1', pid: 101, thread_name: 'main', payload: { rses: 3 }, alive: true }),
      expect.objectContaining({ readable: 'transfer-submitter', hostname: 'node2', pid: 202, alive: false, age_seconds: expect.any(Number) }),
    ]);
    expect(response.body[1].age_seconds).toBeGreaterThanOrEqual(599);
    expect(response.body[0].updated_at).toMatch(/ UTC$/);
    // Rows that do not say more about themselves get Tarn's per-instance fields too, empty.
    expect(response.body[0]).toMatchObject({ state: 'alive', dead_after_seconds: 30, metrics_port: null, ready: null, started_at: null, last_error: null });
  });

  it('tells per instance what each daemon says of itself: its window, its metrics port, whether it is ready', async () => {
    const heartbeats = api.app.get(HeartbeatService);
    const startedAt = new Date().toISOString();
    const payload = { deadAfterSeconds: 6, startedAt, metricsPort: 41234, ready: true, passes: 12, failures: 1, lastError: 'storage timeout' };
    await heartbeats.beat({ executable: 'transfer-worker', hostname: 'node3', pid: 303, thread: 'main' }, payload);
    await heartbeats.beat({ executable: 'transfer-worker', hostname: 'node3', pid: 304, thread: 'main' }, payload);
    await db.dataSource.query(`UPDATE heartbeats SET updated_at = now() - interval '7 seconds' WHERE pid = 304`);
    const response = await request(api.url).get('/heartbeats').set('X-Rucio-Auth-Token', token).expect(200);
    const workers = response.body.filter((h: { executable: string }) => h.executable === 'transfer-worker');
    expect(workers).toEqual([
      expect.objectContaining({ pid: 303, alive: true, state: 'alive', dead_after_seconds: 6, metrics_port: 41234, ready: true, started_at: startedAt, passes: 12, failures: 1, last_error: 'storage timeout' }),
      expect.objectContaining({ pid: 304, alive: false, state: 'dead', dead_after_seconds: 6 }),
    ]);
  });

  it('needs a token', async () => {
    expect((await request(api.url).get('/heartbeats').expect(400)).body.ExceptionClass).toBe('CannotAuthenticate');
  });
});
