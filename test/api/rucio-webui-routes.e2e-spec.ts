import request from 'supertest';
import { AuthenticationService, RuleService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

/** Routes Rucio's web UI (rucio/webui) calls, requested as its gateway endpoints send them. */
describe("routes of Rucio's web UI", () => {
  let db: TestDatabase;
  let api: TestApi;
  let root: string;
  let jdoe: string;
  let subscriptionId: string;
  const file = { scope: 'user.jdoe', name: '' };
  let dest: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: 'webui-root' });
    await createAccount(db.dataSource, { account: 'jdoe', password: 'webui-jdoe' });
    await createScope(db.dataSource, { scope: 'user.jdoe', account: 'jdoe' });
    const auth = api.app.get(AuthenticationService);
    root = (await auth.authenticateUserpass('root', 'root', 'webui-root')).token;
    jdoe = (await auth.authenticateUserpass('jdoe', 'jdoe', 'webui-jdoe')).token;
    const source = await createRse(db.dataSource);
    dest = (await createRse(db.dataSource)).rse;
    await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) SELECT 'jdoe', id, 1e12 FROM rses`);
    const ds = await createDataset(db.dataSource, { scope: 'user.jdoe', account: 'jdoe', files: 2 });
    file.name = ds.files[0].name;
    await createReplicas(db.dataSource, { rseId: source.id, files: ds.files });
    const created = await request(api.url)
      .post('/subscriptions/jdoe/raw-to-safe')
      .set('X-Rucio-Auth-Token', jdoe)
      .send({ options: { filter: { scope: ['user.jdoe'] }, replication_rules: [{ copies: 1, rse_expression: dest }] } })
      .expect(201);
    subscriptionId = created.text;
    const rules = api.app.get(RuleService);
    const issuer = { account: 'jdoe', admin: false };
    await rules.addRules(issuer, ruleSpec(ds.files[0], dest, { subscriptionId }));
    await rules.addRules(issuer, ruleSpec(ds.files[1], dest, { subscriptionId }));
    await rules.addRules(issuer, ruleSpec(ds.files[1], source.rse, { subscriptionId }));
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const get = (path: string, token: string, type = 'application/json') => request(api.url).get(path).set('X-Rucio-Auth-Token', token).set('Content-Type', type);
  const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

  it("counts a subscription's rules by state, as tuples (account, name, state, count), for an account or a wildcard", async () => {
    const states = await get('/subscriptions/jdoe/rules/states', jdoe, 'application/x-json-stream').expect(200);
    expect(lines(states.text)).toEqual([
      ['jdoe', 'raw-to-safe', 'OK', 1],
      ['jdoe', 'raw-to-safe', 'REPLICATING', 2],
    ]);
    expect(lines((await get('/subscriptions/j*/rules/states', root).expect(200)).text)).toHaveLength(2);
    expect((await get('/subscriptions/nobody/rules/states', root).expect(200)).text).toBe('');
  });

  it('shows a subscription by its id, and says when there is none', async () => {
    const one = await get(`/subscriptions/Id/${subscriptionId}`, root).expect(200);
    expect(one.body).toMatchObject({ id: subscriptionId, name: 'raw-to-safe', account: 'jdoe', state: expect.any(String) });
    expect(JSON.parse(one.body.replication_rules)).toEqual([expect.objectContaining({ rse_expression: dest })]);
    expect((await get('/subscriptions/Id/not-a-uuid', root).expect(404)).body.ExceptionClass).toBe('SubscriptionNotFound');
    expect((await get('/subscriptions/Id/00000000-0000-0000-0000-000000000000', root).expect(404)).body.ExceptionClass).toBe('SubscriptionNotFound');
  });

  it('names the accounts of an identity given in the query, to administrators', async () => {
    expect((await get('/identities/accounts?identity_key=jdoe&type=userpass', root).expect(200)).body).toEqual(['jdoe']);
    expect((await get('/identities/accounts?identity_key=jdoe&type=userpass', jdoe).expect(401)).body.ExceptionClass).toBe('AccessDenied');
    expect((await get('/identities/accounts?type=userpass', root).expect(400)).body.ExceptionMessage).toMatch(/identity_key=/);
  });

  it('shows the transfer request of a file towards an RSE to administrators, as a Rucio request dictionary', async () => {
    const path = `/requests/${encodeURIComponent(file.scope)}/${encodeURIComponent(file.name)}/${encodeURIComponent(dest)}`;
    const found = await get(path, root).expect(200);
    expect(found.body).toMatchObject({
      scope: file.scope, name: file.name, dest_rse: dest, request_type: 'TRANSFER', did_type: 'FILE', state: 'QUEUED', account: 'jdoe',
      retry_count: 0, activity: expect.any(String), bytes: expect.any(Number), requested_at: expect.stringMatching(/ UTC$/),
    });
    expect((await get(path, jdoe).expect(401)).body.ExceptionClass).toBe('AccessDenied');
    const none = await get(`/requests/${file.scope}/${file.name}/NO_SUCH_RSE`, root).expect(404);
    expect(none.body.ExceptionClass).toBe('RequestNotFound');
  });
});
