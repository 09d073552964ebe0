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
  });

  it('needs a token', async () => {
    expect((await request(api.url).get('/heartbeats').expect(400)).body.ExceptionClass).toBe('CannotAuthenticate');
  });
});
