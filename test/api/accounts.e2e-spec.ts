import { AccountType } from '@tarn/domain';
import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, type CreatedAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';

/** The body as text, whatever its type (superagent buffers only the types it knows). */
const asText = (res: request.Response, callback: (error: Error | null, body: string) => void): void => {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => callback(null, text));
};

/** Python's json reads the bare token Infinity; JSON.parse does not, so it is mapped to a marker here. */
const rucioJson = (text: string): unknown => JSON.parse(text.replace(/(?<=[:[,])Infinity(?=[,}\]])/g, '"∞"'));
const ndjson = (text: string): unknown[] => text.split('\n').filter(Boolean).map(rucioJson);

describe('accounts, identities, scopes, limits and usage (Rucio REST v1)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let root: CreatedAccount;
  let jdoe: CreatedAccount;
  let rootToken: string;
  let jdoeToken: string;
  let rse: CreatedRse;

  async function login(account: string, password: string, username = account): Promise<string> {
    const response = await request(api.url)
      .get('/auth/userpass')
      .set('X-Rucio-Account', account)
      .set('X-Rucio-Username', username)
      .set('X-Rucio-Password', password)
      .expect(200);
    return response.headers['x-rucio-auth-token'];
  }

  const as = (token: string) => ({
    get: (path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', token),
    text: (path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', token).buffer(true).parse(asText),
    post: (path: string, body?: unknown) => {
      const req = request(api.url).post(path).set('X-Rucio-Auth-Token', token);
      return body === undefined ? req : req.send(JSON.stringify(body));
    },
    put: (path: string, body: unknown) => request(api.url).put(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body)),
    delete: (path: string, body?: unknown) => {
      const req = request(api.url).delete(path).set('X-Rucio-Auth-Token', token);
      return body === undefined ? req : req.send(JSON.stringify(body));
    },
  });

  function expectRucioError(response: request.Response, status: number, exceptionClass: string): void {
    expect({ status: response.status, exceptionClass: response.body.ExceptionClass }).toEqual({ status, exceptionClass });
    expect(response.headers.exceptionclass).toBe(exceptionClass);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    root = await createAccount(db.dataSource, { account: 'root', admin: true, password: 'root-secret' });
    jdoe = await createAccount(db.dataSource, { password: 'jdoe-secret', email: 'jdoe@example.org' });
    rootToken = await login('root', 'root-secret');
    jdoeToken = await login(jdoe.account, 'jdoe-secret');
    rse = await createRse(db.dataSource, { attributes: { QOS: 'SAFE' } });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('accounts', () => {
    it('whoami answers 303 to the caller’s account, whose info has Rucio’s fields and dates', async () => {
      const redirect = await as(jdoeToken).get('/accounts/whoami').redirects(0).expect(303);
      expect(redirect.headers.location).toBe(`/accounts/${jdoe.account}`);
      const info = await as(jdoeToken).get(redirect.headers.location).expect(200);
      expect(info.headers['content-type']).toBe('application/json');
      expect(info.body).toEqual({
        account: jdoe.account,
        account_type: 'USER',
        status: 'ACTIVE',
        email: 'jdoe@example.org',
        suspended_at: null,
        deleted_at: null,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
        updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      });
    });

    it('GET /accounts/<account>: 404 AccountNotFound for an unknown account, 400 for an invalid name', async () => {
      expectRucioError(await as(jdoeToken).get('/accounts/nobody-here'), 404, 'AccountNotFound');
      const invalid = await as(jdoeToken).get(`/accounts/${encodeURIComponent('Bad Name!')}`);
      expect(invalid.status).toBe(400);
      expect(invalid.body.ExceptionMessage).toContain('Bad Name!');
    });

    it('are added by administrators (201 Created), once; users get 401 AccessDenied; bad bodies 400 naming the field', async () => {
      const name = uniqueAccountName('svc');
      const created = await as(rootToken).post(`/accounts/${name}`, { type: 'SERVICE', email: 'ops@example.org' }).expect(201);
      expect(created.text).toBe('Created');
      expect((await as(rootToken).get(`/accounts/${name}`).expect(200)).body).toMatchObject({ account: name, account_type: 'SERVICE' });
      expectRucioError(await as(rootToken).post(`/accounts/${name}`, { type: 'SERVICE', email: null }), 409, 'Duplicate');
      expectRucioError(await as(jdoeToken).post(`/accounts/${uniqueAccountName()}`, { type: 'USER', email: null }), 401, 'AccessDenied');
      const badType = await as(rootToken).post(`/accounts/${uniqueAccountName()}`, { type: 'ROBOT' });
      expect(badType.status).toBe(400);
      expect(badType.body.ExceptionMessage).toMatch(/type/);
      const wrongTypes = await as(rootToken).post(`/accounts/${uniqueAccountName()}`, { type: 5, email: ['x'] });
      expect(wrongTypes.status).toBe(400);
      expect(wrongTypes.body.ExceptionMessage).toMatch(/type.*email|email.*type/);
      expect((await as(rootToken).post(`/accounts/${uniqueAccountName()}`).send('{"type": ')).status).toBe(400);
    });

    it('are listed as NDJSON {account, type, email}, with or without the trailing slash, filtered as Rucio filters', async () => {
      const service = await createAccount(db.dataSource, { account: uniqueAccountName('robot'), type: AccountType.SERVICE });
      for (const path of ['/accounts', '/accounts/']) {
        const response = await as(jdoeToken).text(path).expect(200);
        expect(response.headers['content-type']).toBe('application/x-json-stream');
        const rows = ndjson(response.body) as Array<{ account: string }>;
        expect(rows).toEqual(expect.arrayContaining([{ account: jdoe.account, type: 'USER', email: 'jdoe@example.org' }]));
        expect(rows.map((r) => r.account)).toEqual(expect.arrayContaining(['root', service.account]));
      }
      const services = ndjson((await as(jdoeToken).text('/accounts/?account_type=SERVICE').expect(200)).body) as Array<{ account: string }>;
      expect(services.map((r) => r.account)).toContain(service.account);
      expect(services.map((r) => r.account)).not.toContain(jdoe.account);
      const robots = ndjson((await as(jdoeToken).text('/accounts/?account=robot-*').expect(200)).body);
      expect(robots).toEqual([{ account: service.account, type: 'SERVICE', email: null }]);
      const admins = ndjson((await as(jdoeToken).text('/accounts/?admin=true').expect(200)).body) as Array<{ account: string }>;
      expect(admins.map((r) => r.account)).toContain('root');
      expect(admins.map((r) => r.account)).not.toContain(jdoe.account);
      const byIdentity = ndjson((await as(rootToken).text(`/accounts/?identity=${jdoe.account}`).expect(200)).body);
      expect(byIdentity).toEqual([{ account: jdoe.account, type: 'USER', email: 'jdoe@example.org' }]);
    });

    it('are updated (status, email) and deleted by administrators; other keys are refused', async () => {
      const user = await createAccount(db.dataSource, { password: 'pw-upd' });
      const userToken = await login(user.account, 'pw-upd');
      expectRucioError(await as(userToken).put(`/accounts/${user.account}`, { email: 'me@example.org' }), 401, 'AccessDenied');
      await as(rootToken).put(`/accounts/${user.account}`, { email: 'new@example.org' }).expect(200);
      await as(rootToken).put(`/accounts/${user.account}`, { status: 'SUSPENDED' }).expect(200);
      const suspended = (await as(rootToken).get(`/accounts/${user.account}`).expect(200)).body;
      expect(suspended).toMatchObject({ status: 'SUSPENDED', email: 'new@example.org', suspended_at: expect.any(String) });
      // Suspending ends the account's sessions.
      expectRucioError(await as(userToken).get('/auth/validate'), 401, 'CannotAuthenticate');
      const unknown = await as(rootToken).put(`/accounts/${user.account}`, { account_type: 'GROUP' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.ExceptionMessage).toContain('account_type');
      expect((await as(rootToken).put(`/accounts/${user.account}`, { status: 'GONE' })).status).toBe(400);
      await as(rootToken).delete(`/accounts/${user.account}`).expect(200);
      expect((await as(rootToken).get(`/accounts/${user.account}`).expect(200)).body.status).toBe('DELETED');
      const listed = ndjson((await as(rootToken).text('/accounts/').expect(200)).body) as Array<{ account: string }>;
      expect(listed.map((r) => r.account)).not.toContain(user.account);
      expectRucioError(await as(rootToken).delete('/accounts/nobody-here'), 404, 'AccountNotFound');
    });
  });

  describe('attributes', () => {
    it('are set (201) and deleted by administrators and listed as a JSON array of {key, value}', async () => {
      const path = `/accounts/${jdoe.account}/attr`;
      expect((await as(jdoeToken).get(`${path}/`).expect(200)).body).toEqual([]);
      expect((await as(rootToken).post(`${path}/country`, { key: 'country', value: 'CH' }).expect(201)).text).toBe('Created');
      await as(rootToken).post(`${path}/quota_group`, { value: 3 }).expect(201);
      const listed = await as(jdoeToken).get(`${path}/`).expect(200);
      expect(listed.headers['content-type']).toBe('application/json');
      expect(listed.body).toEqual(expect.arrayContaining([{ key: 'country', value: 'CH' }, { key: 'quota_group', value: 3 }]));
      expect((await as(jdoeToken).get(path).expect(200)).body).toHaveLength(2);
      expectRucioError(await as(jdoeToken).post(`${path}/admin`, { value: 'True' }), 401, 'AccessDenied');
      await as(rootToken).delete(`${path}/country`).expect(200);
      expectRucioError(await as(rootToken).delete(`${path}/country`), 404, 'KeyNotFound');
      expect((await as(rootToken).post(`${path}/x`, {})).status).toBe(400);
      expect((await as(rootToken).post(`${path}/x`, { value: { nested: true } })).status).toBe(400);
      expectRucioError(await as(rootToken).get('/accounts/nobody-here/attr/'), 404, 'AccountNotFound');
    });

    it('admin=True given by the stock client makes an administrator', async () => {
      const user = await createAccount(db.dataSource, { password: 'pw-adm' });
      await as(rootToken).post(`/accounts/${user.account}/attr/admin`, { key: 'admin', value: 'True' }).expect(201);
      const token = await login(user.account, 'pw-adm');
      expect((await as(token).get('/auth/validate').expect(200)).body.admin).toBe(true);
    });
  });

  describe('identities', () => {
    it('are added to an account (POST /accounts/<account>/identities), listed as NDJSON and removed by administrators', async () => {
      const user = await createAccount(db.dataSource);
      const path = `/accounts/${user.account}/identities`;
      const body = { identity: `${user.account}-login`, authtype: 'USERPASS', email: 'u@example.org', password: 'pw-1', default: false };
      expect((await as(rootToken).post(path, body).expect(201)).text).toBe('Created');
      expectRucioError(await as(rootToken).post(path, body), 409, 'Duplicate');
      expectRucioError(await as(jdoeToken).post(path, { ...body, identity: 'other' }), 401, 'AccessDenied');
      const token = await login(user.account, 'pw-1', `${user.account}-login`);
      const listed = await as(token).text(path).expect(200);
      expect(listed.headers['content-type']).toBe('application/x-json-stream');
      expect(ndjson(listed.body)).toEqual([{ type: 'USERPASS', identity: `${user.account}-login`, email: 'u@example.org' }]);
      expectRucioError(await as(jdoeToken).get(path), 401, 'AccessDenied');
      expect((await as(rootToken).post(path, { identity: 'x', authtype: 'PASSWORD' })).status).toBe(400);
      expect((await as(rootToken).post(path, { identity: 'new-without-password', authtype: 'USERPASS' })).status).toBe(400);

      await as(rootToken).delete(path, { identity: `${user.account}-login`, authtype: 'USERPASS' }).expect(200);
      expectRucioError(await as(rootToken).delete(path, { identity: `${user.account}-login`, authtype: 'USERPASS' }), 404, 'IdentityNotFound');
      const refused = await request(api.url)
        .get('/auth/userpass')
        .set('X-Rucio-Account', user.account)
        .set('X-Rucio-Username', `${user.account}-login`)
        .set('X-Rucio-Password', 'pw-1');
      expectRucioError(refused, 401, 'CannotAuthenticate');
    });

    it('PUT (and POST) /identities/<account>/userpass create a userpass identity from headers; GET .../accounts lists its accounts', async () => {
      const user = await createAccount(db.dataSource);
      await request(api.url)
        .put(`/identities/${user.account}/userpass`)
        .set('X-Rucio-Auth-Token', rootToken)
        .set('X-Rucio-Username', `${user.account}.u1`)
        .set('X-Rucio-Password', 'pw-u1')
        .set('X-Rucio-Email', 'u1@example.org')
        .expect(201);
      await request(api.url)
        .post(`/identities/${user.account}/userpass`)
        .set('X-Rucio-Auth-Token', rootToken)
        .set('X-Rucio-Username', `${user.account}.u2`)
        .set('X-Rucio-Password', 'pw-u2')
        .expect(201);
      await login(user.account, 'pw-u1', `${user.account}.u1`);
      await login(user.account, 'pw-u2', `${user.account}.u2`);
      const missing = await request(api.url).put(`/identities/${user.account}/userpass`).set('X-Rucio-Auth-Token', rootToken).set('X-Rucio-Username', 'x');
      expect(missing.status).toBe(400);
      const accounts = await as(rootToken).get(`/identities/${user.account}.u1/userpass/accounts`).expect(200);
      expect(accounts.body).toEqual([user.account]);
      expectRucioError(await as(jdoeToken).get(`/identities/${user.account}.u1/userpass/accounts`), 401, 'AccessDenied');
    });
  });

  describe('scopes of an account', () => {
    it('are added by the account itself or administrators and listed as a JSON array; none is 404 ScopeNotFound', async () => {
      const user = await createAccount(db.dataSource, { password: 'pw-sc' });
      const token = await login(user.account, 'pw-sc');
      expectRucioError(await as(token).get(`/accounts/${user.account}/scopes/`), 404, 'ScopeNotFound');
      const own = uniqueScopeName('user');
      expect((await as(token).post(`/accounts/${user.account}/scopes/${own}`).expect(201)).text).toBe('Created');
      const byAdmin = uniqueScopeName('group');
      await as(rootToken).post(`/accounts/${user.account}/scopes/${byAdmin}`).expect(201);
      expectRucioError(await as(token).post(`/accounts/${user.account}/scopes/${own}`), 409, 'Duplicate');
      expectRucioError(await as(token).post(`/accounts/${jdoe.account}/scopes/${uniqueScopeName()}`), 401, 'AccessDenied');
      expect((await as(token).post(`/accounts/${user.account}/scopes/${encodeURIComponent('bad scope')}`)).status).toBe(400);
      const listed = await as(jdoeToken).get(`/accounts/${user.account}/scopes/`).expect(200);
      expect(listed.headers['content-type']).toBe('application/json');
      expect([...listed.body].sort()).toEqual([own, byAdmin].sort());
      expectRucioError(await as(token).get('/accounts/nobody-here/scopes'), 404, 'AccountNotFound');
    });
  });

  describe('limits', () => {
    it('per RSE are set by administrators and read as {RSE: bytes}; unlimited is Infinity, as Rucio writes it', async () => {
      const user = await createAccount(db.dataSource);
      const base = `/accounts/${user.account}/limits`;
      expect((await as(rootToken).get(base).expect(200)).body).toEqual({});
      expect((await as(rootToken).post(`${base}/local/${rse.rse}`, { bytes: 10_000_000_000 }).expect(201)).text).toBe('Created');
      for (const path of [base, `${base}/local`]) {
        const response = await as(rootToken).get(path).expect(200);
        expect(response.headers['content-type']).toBe('application/json');
        expect(response.body).toEqual({ [rse.rse]: 10_000_000_000 });
      }
      for (const path of [`${base}/local/${rse.rse}`, `${base}/${rse.rse}`]) {
        expect((await as(rootToken).get(path).expect(200)).body).toEqual({ [rse.rse]: 10_000_000_000 });
      }
      await as(rootToken).post(`${base}/local/${rse.rse}`, { bytes: -1 }).expect(201);
      expect((await as(rootToken).text(base).expect(200)).body).toBe(`{"${rse.rse}":Infinity}`);
      expectRucioError(await as(jdoeToken).post(`${base}/local/${rse.rse}`, { bytes: 1 }), 401, 'AccessDenied');
      expectRucioError(await as(rootToken).post(`${base}/local/NO_SUCH_RSE`, { bytes: 1 }), 404, 'RSENotFound');
      expectRucioError(await as(rootToken).post(`/accounts/nobody-here/limits/local/${rse.rse}`, { bytes: 1 }), 404, 'AccountNotFound');
      const bad = await as(rootToken).post(`${base}/local/${rse.rse}`, { bytes: 'lots' });
      expect(bad.status).toBe(400);
      expect(bad.body.ExceptionMessage).toContain('bytes');
      expect((await as(rootToken).post(`${base}/local/${rse.rse}`, { bytes: -2 })).status).toBe(400);

      await as(rootToken).delete(`${base}/local/${rse.rse}`).expect(200);
      expect((await as(rootToken).get(base).expect(200)).body).toEqual({});
      expect((await as(rootToken).get(`${base}/local/${rse.rse}`).expect(200)).body).toEqual({ [rse.rse]: null });
    });

    it('per RSE expression are set by administrators and read with the RSEs the expression selects', async () => {
      const user = await createAccount(db.dataSource);
      const base = `/accounts/${user.account}/limits/global`;
      const expression = encodeURIComponent('QOS=SAFE');
      await as(rootToken).post(`${base}/${expression}`, { bytes: 5000 }).expect(201);
      const all = await as(rootToken).get(base).expect(200);
      expect(all.body['QOS=SAFE']).toEqual({ limit: 5000, resolved_rses: expect.arrayContaining([rse.rse]), resolved_rse_ids: expect.arrayContaining([rse.id]) });
      expect((await as(rootToken).get(`${base}/${expression}`).expect(200)).body).toEqual({ 'QOS=SAFE': 5000 });
      expect((await as(rootToken).get(`${base}/${encodeURIComponent('QOS=FAST')}`).expect(200)).body).toEqual({ 'QOS=FAST': null });
      expectRucioError(await as(rootToken).post(`${base}/${encodeURIComponent('QOS=SAFE|(')}`, { bytes: 1 }), 400, 'InvalidRSEExpression');
      await as(rootToken).delete(`${base}/${expression}`).expect(200);
      expect((await as(rootToken).get(base).expect(200)).body).toEqual({});
    });

    it('are also set through Rucio’s /accountlimits routes', async () => {
      const user = await createAccount(db.dataSource);
      await as(rootToken).post(`/accountlimits/local/${user.account}/${rse.rse}`, { bytes: 100 }).expect(201);
      expect((await as(rootToken).get(`/accounts/${user.account}/limits`).expect(200)).body).toEqual({ [rse.rse]: 100 });
      await as(rootToken).post(`/accountlimits/${user.account}/${rse.rse}`, { bytes: 200 }).expect(201);
      expect((await as(rootToken).get(`/accounts/${user.account}/limits`).expect(200)).body).toEqual({ [rse.rse]: 200 });
      await as(rootToken).post(`/accountlimits/global/${user.account}/${encodeURIComponent('QOS=SAFE')}`, { bytes: 300 }).expect(201);
      expect((await as(rootToken).get(`/accounts/${user.account}/limits/global/QOS%3DSAFE`).expect(200)).body).toEqual({ 'QOS=SAFE': 300 });
      expectRucioError(await as(jdoeToken).post(`/accountlimits/local/${user.account}/${rse.rse}`, { bytes: 1 }), 401, 'AccessDenied');
      await as(rootToken).delete(`/accountlimits/local/${user.account}/${rse.rse}`).expect(200);
      await as(rootToken).delete(`/accountlimits/global/${user.account}/${encodeURIComponent('QOS=SAFE')}`).expect(200);
      expect((await as(rootToken).get(`/accounts/${user.account}/limits`).expect(200)).body).toEqual({});
      expect((await as(rootToken).get(`/accounts/${user.account}/limits/global`).expect(200)).body).toEqual({});
    });
  });

  describe('usage', () => {
    it('per RSE and per expression limit is NDJSON with the limit and what remains', async () => {
      const user = await createAccount(db.dataSource);
      const other = await createRse(db.dataSource);
      await db.dataSource.query(`INSERT INTO account_usage (account, rse_id, files, bytes) VALUES ($1, $2, 3, 300), ($1, $3, 1, 50)`, [
        user.account,
        rse.id,
        other.id,
      ]);
      await as(rootToken).post(`/accounts/${user.account}/limits/local/${rse.rse}`, { bytes: 1000 }).expect(201);
      await as(rootToken).post(`/accounts/${user.account}/limits/global/${encodeURIComponent('QOS=SAFE')}`, { bytes: 2000 }).expect(201);

      const local = { rse_id: rse.id, rse: rse.rse, files: 3, bytes: 300, bytes_limit: 1000, bytes_remaining: 700 };
      const noLimit = { rse_id: other.id, rse: other.rse, files: 1, bytes: 50, bytes_limit: 0, bytes_remaining: -50 };
      for (const path of ['usage', 'usage/local', 'usage/']) {
        const response = await as(rootToken).text(`/accounts/${user.account}/${path}`).expect(200);
        expect(response.headers['content-type']).toBe('application/x-json-stream');
        expect(ndjson(response.body)).toEqual(expect.arrayContaining([local, noLimit]));
        expect(ndjson(response.body)).toHaveLength(2);
      }
      for (const path of [`usage/local/${rse.rse}`, `usage/${rse.rse}`]) {
        expect(ndjson((await as(rootToken).text(`/accounts/${user.account}/${path}`).expect(200)).body)).toEqual([local]);
      }
      const global = ndjson((await as(rootToken).text(`/accounts/${user.account}/usage/global`).expect(200)).body);
      expect(global).toEqual([{ rse_expression: 'QOS=SAFE', files: 3, bytes: 300, bytes_limit: 2000, bytes_remaining: 1700 }]);
      expect(ndjson((await as(rootToken).text(`/accounts/${user.account}/usage/global/QOS%3DSAFE`).expect(200)).body)).toEqual(global);
      expect((await as(rootToken).text(`/accounts/${user.account}/usage/global/QOS%3DFAST`).expect(200)).body).toBe('');
      expectRucioError(await as(rootToken).get(`/accounts/${user.account}/usage/NO_SUCH_RSE`), 404, 'RSENotFound');
    });
  });
});
