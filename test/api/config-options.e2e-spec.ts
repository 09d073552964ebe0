import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';

/** Option names as the daemons read them: the throttler's `<RSE>/<activity>`, activities with spaces. */
describe('configuration options', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: 'config-options' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('root', 'root', 'config-options')).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const call = (method: 'get' | 'post', path: string, body?: unknown) => {
    const r = request(api.url)[method](path).set('X-Rucio-Auth-Token', token);
    return body === undefined ? r : r.send(JSON.stringify(body));
  };

  it('takes an option naming an RSE and an activity, and reads it back by its encoded name', async () => {
    await call('post', '/config', { throttler: { 'SITE_B/Data rebalancing': 50 } }).expect(201);
    expect((await call('get', '/config/throttler').expect(200)).body).toEqual({ 'SITE_B/Data rebalancing': 50 });
    expect((await call('get', `/config/throttler/${encodeURIComponent('SITE_B/Data rebalancing')}`).expect(200)).body).toBe(50);
  });

  it('refuses options with control characters or only spaces, and sections that are not names, saying what is allowed', async () => {
    for (const option of ['line\nbreak', '   ', 'x'.repeat(129)]) {
      const refused = await call('post', '/config', { throttler: { [option]: 1 } }).expect(400);
      expect(refused.body.ExceptionMessage).toMatch(/Invalid config option .*printable characters/);
    }
    const section = await call('post', '/config', { 'thr ottler': { a: 1 } }).expect(400);
    expect(section.body.ExceptionMessage).toMatch(/Invalid config section .*letters, digits/);
  });
});
