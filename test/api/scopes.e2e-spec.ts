import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';

describe('scopes (Rucio REST v1, and Tarn’s restricted scopes and grants)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let rootToken: string;
  let alice: CreatedAccount;
  let bob: CreatedAccount;
  let aliceToken: string;
  let bobToken: string;

  async function login(account: string, password: string): Promise<string> {
    const response = await request(api.url)
      .get('/auth/userpass')
      .set('X-Rucio-Account', account)
      .set('X-Rucio-Username', account)
      .set('X-Rucio-Password', password)
      .expect(200);
    return response.headers['x-rucio-auth-token'];
  }

  const as = (token: string) => ({
    get: (path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', token),
    post: (path: string) => request(api.url).post(path).set('X-Rucio-Auth-Token', token),
    put: (path: string, body: unknown) => request(api.url).put(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body)),
    delete: (path: string) => request(api.url).delete(path).set('X-Rucio-Auth-Token', token),
  });

  function expectRucioError(response: request.Response, status: number, exceptionClass: string): void {
    expect({ status: response.status, exceptionClass: response.body.ExceptionClass }).toEqual({ status, exceptionClass });
    expect(response.headers.exceptionclass).toBe(exceptionClass);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: 'root-secret' });
    alice = await createAccount(db.dataSource, { password: 'alice-secret' });
    bob = await createAccount(db.dataSource, { password: 'bob-secret' });
    rootToken = await login('root', 'root-secret');
    aliceToken = await login(alice.account, 'alice-secret');
    bobToken = await login(bob.account, 'bob-secret');
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('POST /scopes/<account>/<scope> adds a scope (the account itself or administrators), once', async () => {
    const scope = uniqueScopeName('user');
    expect((await as(aliceToken).post(`/scopes/${alice.account}/${scope}`).expect(201)).text).toBe('Created');
    expectRucioError(await as(aliceToken).post(`/scopes/${alice.account}/${scope}`), 409, 'Duplicate');
    expectRucioError(await as(bobToken).post(`/scopes/${alice.account}/${uniqueScopeName()}`), 401, 'AccessDenied');
    await as(rootToken).post(`/scopes/${bob.account}/${uniqueScopeName('group')}`).expect(201);
    expectRucioError(await as(rootToken).post(`/scopes/nobody-here/${uniqueScopeName()}`), 404, 'AccountNotFound');
    const invalid = await as(rootToken).post(`/scopes/${alice.account}/${'x'.repeat(40)}`);
    expect(invalid.status).toBe(400);
  });

  it('GET /scopes/ lists every scope name; GET /scopes/owner lists scopes with their owners', async () => {
    const scope = (await createScope(db.dataSource, { account: alice.account })).scope;
    for (const path of ['/scopes', '/scopes/']) {
      const names = await as(bobToken).get(path).expect(200);
      expect(names.headers['content-type']).toBe('application/json');
      expect(names.body).toContain(scope);
      expect(names.body.every((n: unknown) => typeof n === 'string')).toBe(true);
    }
    const owners = await as(bobToken).get('/scopes/owner').expect(200);
    expect(owners.body).toContainEqual({ scope, account: alice.account });
  });

  it('GET /scopes/<account>/scopes lists the account’s scopes; none is 404 ScopeNotFound', async () => {
    const carol = await createAccount(db.dataSource);
    expectRucioError(await as(bobToken).get(`/scopes/${carol.account}/scopes`), 404, 'ScopeNotFound');
    const scope = (await createScope(db.dataSource, { account: carol.account })).scope;
    expect((await as(bobToken).get(`/scopes/${carol.account}/scopes`).expect(200)).body).toEqual([scope]);
    expectRucioError(await as(bobToken).get('/scopes/nobody-here/scopes'), 404, 'AccountNotFound');
  });

  it('PUT /scopes/<scope>/restricted restricts and opens a scope: owner or administrators only', async () => {
    const scope = (await createScope(db.dataSource, { account: alice.account })).scope;
    const restricted = await as(aliceToken).put(`/scopes/${scope}/restricted`, { restricted: true }).expect(200);
    expect(restricted.body).toEqual({
      scope,
      account: alice.account,
      restricted: true,
      is_default: false,
      closed: false,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });
    expectRucioError(await as(bobToken).put(`/scopes/${scope}/restricted`, { restricted: false }), 401, 'AccessDenied');
    expect((await as(rootToken).put(`/scopes/${scope}/restricted`, { restricted: false }).expect(200)).body.restricted).toBe(false);
    const bad = await as(aliceToken).put(`/scopes/${scope}/restricted`, { restricted: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.ExceptionMessage).toContain('restricted');
    expectRucioError(await as(rootToken).put(`/scopes/no.such.scope/restricted`, { restricted: true }), 404, 'ScopeNotFound');
  });

  it('grants are given, listed and withdrawn by the owner or administrators', async () => {
    const scope = (await createScope(db.dataSource, { account: alice.account })).scope;
    expect((await as(aliceToken).get(`/scopes/${scope}/grants`).expect(200)).body).toEqual([]);
    expect((await as(aliceToken).post(`/scopes/${scope}/grants/${bob.account}`).expect(201)).text).toBe('Created');
    await as(aliceToken).post(`/scopes/${scope}/grants/${bob.account}`).expect(201);
    expect((await as(rootToken).get(`/scopes/${scope}/grants`).expect(200)).body).toEqual([bob.account]);
    expectRucioError(await as(bobToken).get(`/scopes/${scope}/grants`), 401, 'AccessDenied');
    expectRucioError(await as(bobToken).post(`/scopes/${scope}/grants/${bob.account}`), 401, 'AccessDenied');
    expectRucioError(await as(aliceToken).post(`/scopes/${scope}/grants/nobody-here`), 404, 'AccountNotFound');
    await as(aliceToken).delete(`/scopes/${scope}/grants/${bob.account}`).expect(200);
    await as(aliceToken).delete(`/scopes/${scope}/grants/${bob.account}`).expect(200);
    expect((await as(aliceToken).get(`/scopes/${scope}/grants`).expect(200)).body).toEqual([]);
  });

  it('are documented in the OpenAPI document, Tarn’s own routes included', async () => {
    const doc = (await request(api.url).get('/api-docs/json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/scopes', '/scopes/owner', '/scopes/{scope}/restricted', '/scopes/{scope}/grants', '/scopes/{scope}/grants/{account}']),
    );
    const restricted = doc.paths['/scopes/{scope}/restricted'].put;
    expect(restricted.summary).toMatch(/Tarn only/);
    const body = restricted.requestBody.content['application/json'].schema.$ref.split('/').pop();
    expect(doc.components.schemas[body].properties.restricted.type).toBe('boolean');
  });
});
