import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { uniqueDidName } from '@tarn/testing/factories/did.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

/**
 * The permission policy seen from the wire: what an ordinary account may not do to what another account owns,
 * what a grant opens, and that an administrator may do it all. Refusals are 401 AccessDenied, as Rucio answers.
 */
describe('authorization through the API', () => {
  let db: TestDatabase;
  let api: TestApi;
  let rse: CreatedRse;
  const tokens = new Map<string, string>();
  let root: CreatedAccount;
  let alice: CreatedAccount;
  let bob: CreatedAccount;
  let aliceScope: string;

  async function login(user: CreatedAccount): Promise<string> {
    if (!tokens.has(user.account)) {
      const response = await request(api.url)
        .get('/auth/userpass')
        .set('X-Rucio-Account', user.account)
        .set('X-Rucio-Username', user.account)
        .set('X-Rucio-Password', user.password!)
        .expect(200);
      tokens.set(user.account, response.headers['x-rucio-auth-token']);
    }
    return tokens.get(user.account)!;
  }

  const call = async (user: CreatedAccount, method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown) => {
    const req = request(api.url)[method](path).set('X-Rucio-Auth-Token', await login(user));
    return body === undefined ? req : req.send(JSON.stringify(body));
  };

  function expectAccessDenied(response: request.Response): void {
    expect({ status: response.status, exceptionClass: response.body.ExceptionClass }).toEqual({ status: 401, exceptionClass: 'AccessDenied' });
    expect(response.headers.exceptionclass).toBe('AccessDenied');
  }

  const didCount = async (scope: string, name: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM dids WHERE scope = $1 AND name = $2`, [scope, name]))[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    root = await createAccount(db.dataSource, { account: 'root', admin: true, password: 'root-pw' });
    alice = await createAccount(db.dataSource, { password: 'alice-pw' });
    bob = await createAccount(db.dataSource, { password: 'bob-pw' });
    aliceScope = (await createScope(db.dataSource, { account: alice.account })).scope;
    rse = await createRse(db.dataSource);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('writing in a scope', () => {
    it('is refused to another account, allowed to the owner and an administrator', async () => {
      const name = uniqueDidName('ds');
      expectAccessDenied(await call(bob, 'post', `/dids/${aliceScope}/${name}`, { type: 'DATASET' }));
      expect(await didCount(aliceScope, name)).toBe(0);
      expect((await call(alice, 'post', `/dids/${aliceScope}/${name}`, { type: 'DATASET' })).status).toBe(201);
      const byAdmin = uniqueDidName('ds');
      expect((await call(root, 'post', `/dids/${aliceScope}/${byAdmin}`, { type: 'DATASET' })).status).toBe(201);
      expect(await didCount(aliceScope, byAdmin)).toBe(1);
    });

    it('is refused for attaching to another account’s dataset and for registering replicas in its scope', async () => {
      const dataset = uniqueDidName('ds');
      await call(alice, 'post', `/dids/${aliceScope}/${dataset}`, { type: 'DATASET' });
      const file = { scope: aliceScope, name: uniqueDidName('file'), bytes: 10, adler32: '0000000a' };
      expectAccessDenied(await call(bob, 'post', '/replicas', { rse: rse.rse, files: [file] }));
      expectAccessDenied(await call(bob, 'post', `/dids/${aliceScope}/${dataset}/dids`, { rse: rse.rse, dids: [file] }));
      expect(await didCount(aliceScope, file.name)).toBe(0);
      expect((await call(alice, 'post', `/dids/${aliceScope}/${dataset}/dids`, { rse: rse.rse, dids: [file] })).status).toBe(201);
    });

    it('is allowed to an account the owner granted access, until the grant is withdrawn', async () => {
      expect((await call(alice, 'post', `/scopes/${aliceScope}/grants/${bob.account}`)).status).toBe(201);
      const granted = uniqueDidName('ds');
      expect((await call(bob, 'post', `/dids/${aliceScope}/${granted}`, { type: 'DATASET' })).status).toBe(201);
      expect((await call(alice, 'delete', `/scopes/${aliceScope}/grants/${bob.account}`)).status).toBe(200);
      expectAccessDenied(await call(bob, 'post', `/dids/${aliceScope}/${uniqueDidName('ds')}`, { type: 'DATASET' }));
    });
  });

  describe('reading a restricted (embargoed) scope', () => {
    it('is refused to other accounts, allowed to the owner, granted accounts and administrators', async () => {
      const scope = (await createScope(db.dataSource, { account: alice.account })).scope;
      const dataset = uniqueDidName('ds');
      expect((await call(alice, 'post', `/dids/${scope}/${dataset}`, { type: 'DATASET' })).status).toBe(201);
      expect((await call(bob, 'get', `/dids/${scope}/${dataset}`)).status).toBe(200);

      expect((await call(alice, 'put', `/scopes/${scope}/restricted`, { restricted: true })).status).toBe(200);
      expectAccessDenied(await call(bob, 'get', `/dids/${scope}/${dataset}`));
      expectAccessDenied(await call(bob, 'get', `/dids/${scope}/${dataset}/dids`));
      expect((await call(alice, 'get', `/dids/${scope}/${dataset}`)).status).toBe(200);
      expect((await call(root, 'get', `/dids/${scope}/${dataset}`)).status).toBe(200);

      await call(alice, 'post', `/scopes/${scope}/grants/${bob.account}`);
      expect((await call(bob, 'get', `/dids/${scope}/${dataset}`)).status).toBe(200);
      await call(alice, 'delete', `/scopes/${scope}/grants/${bob.account}`);
      expectAccessDenied(await call(bob, 'get', `/dids/${scope}/${dataset}`));
      expectAccessDenied(await call(bob, 'put', `/scopes/${scope}/restricted`, { restricted: false }));
    });

    it('hides its files from listings of open datasets they are attached to (replicas, files, content)', async () => {
      const embargoed = (await createScope(db.dataSource, { account: alice.account })).scope;
      const dataset = uniqueDidName('ds');
      const open = { scope: aliceScope, name: uniqueDidName('open'), bytes: 10, adler32: '0000000a' };
      const hidden = { scope: embargoed, name: uniqueDidName('hidden'), bytes: 10, adler32: '0000000a' };
      expect((await call(alice, 'post', `/dids/${aliceScope}/${dataset}`, { type: 'DATASET' })).status).toBe(201);
      expect((await call(alice, 'post', `/dids/${aliceScope}/${dataset}/dids`, { rse: rse.rse, dids: [open, hidden] })).status).toBe(201);
      expect((await call(alice, 'put', `/scopes/${embargoed}/restricted`, { restricted: true })).status).toBe(200);

      const names = (response: request.Response) =>
        response.text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { name: string }).name).sort();
      const listReplicas = (user: CreatedAccount) => call(user, 'post', '/replicas/list', { dids: [{ scope: aliceScope, name: dataset }], all_states: true });
      expect(names(await listReplicas(bob))).toEqual([open.name]);
      expect(names(await listReplicas(alice))).toEqual([open.name, hidden.name].sort());
      expect(names(await listReplicas(root))).toEqual([open.name, hidden.name].sort());
      expect(names(await call(bob, 'get', `/dids/${aliceScope}/${dataset}/files`))).toEqual([open.name]);
      expect(names(await call(bob, 'get', `/dids/${aliceScope}/${dataset}/dids`))).toEqual([open.name]);
      expectAccessDenied(await call(bob, 'post', '/replicas/list', { dids: [{ scope: embargoed, name: hidden.name }], all_states: true }));
    });
  });

  describe('rules of another account', () => {
    it('cannot be deleted or changed by another account; an administrator can delete them', async () => {
      const dataset = uniqueDidName('ds');
      await call(alice, 'post', `/dids/${aliceScope}/${dataset}`, { type: 'DATASET' });
      const added = await call(alice, 'post', '/rules', { dids: [{ scope: aliceScope, name: dataset }], copies: 1, rse_expression: rse.rse });
      expect(added.status).toBe(201);
      const [ruleId] = added.body as string[];
      const ruleCount = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM rules WHERE id = $1`, [ruleId]))[0].n;

      expectAccessDenied(await call(bob, 'delete', `/rules/${ruleId}`));
      expectAccessDenied(await call(bob, 'put', `/rules/${ruleId}`, { options: { lifetime: 60 } }));
      expect(await ruleCount()).toBe(1);
      expect((await call(root, 'delete', `/rules/${ruleId}`)).status).toBe(200);
      expect(await ruleCount()).toBe(0);
    });

    it('cannot be created in another account’s name', async () => {
      const dataset = uniqueDidName('ds');
      await call(alice, 'post', `/dids/${aliceScope}/${dataset}`, { type: 'DATASET' });
      const refused = await call(bob, 'post', '/rules', { dids: [{ scope: aliceScope, name: dataset }], copies: 1, rse_expression: rse.rse, account: alice.account });
      expectAccessDenied(refused);
    });
  });

  describe("an account's usage and limits", () => {
    it('are read by the account itself and administrators, refused to others whether or not the account exists', async () => {
      await call(root, 'post', `/accounts/${alice.account}/limits/local/${rse.rse}`, { bytes: 5000 });
      await call(root, 'post', `/accounts/${alice.account}/limits/global/${rse.rse}`, { bytes: 7000 });
      const paths = (account: string) => [
        `/accounts/${account}/limits`,
        `/accounts/${account}/limits/local`,
        `/accounts/${account}/limits/local/${rse.rse}`,
        `/accounts/${account}/limits/${rse.rse}`,
        `/accounts/${account}/limits/global`,
        `/accounts/${account}/limits/global/${rse.rse}`,
        `/accounts/${account}/usage`,
        `/accounts/${account}/usage/local`,
        `/accounts/${account}/usage/local/${rse.rse}`,
        `/accounts/${account}/usage/${rse.rse}`,
        `/accounts/${account}/usage/global`,
        `/accounts/${account}/usage/global/${rse.rse}`,
      ];
      for (const path of [...paths(alice.account), ...paths('no-such-account')]) {
        const refused = await call(bob, 'get', path);
        expect({ path, status: refused.status, exceptionClass: refused.body.ExceptionClass }).toEqual({ path, status: 401, exceptionClass: 'AccessDenied' });
        expect(refused.text).not.toMatch(/5000|7000/);
      }
      expect((await call(bob, 'get', paths(alice.account)[0])).body.ExceptionMessage).toBe(
        `Account '${bob.account}' may not read the limits of account '${alice.account}': only that account or an administrator may.`,
      );
      for (const user of [alice, root]) {
        expect((await call(user, 'get', `/accounts/${alice.account}/limits`)).body).toEqual({ [rse.rse]: 5000 });
        expect((await call(user, 'get', `/accounts/${alice.account}/limits/global`)).body[rse.rse]).toMatchObject({ limit: 7000 });
        for (const path of paths(alice.account)) expect({ path, status: (await call(user, 'get', path)).status }).toEqual({ path, status: 200 });
      }
    });
  });

  describe('administrative routes', () => {
    it('are refused to ordinary accounts and allowed to administrators', async () => {
      const target = await createAccount(db.dataSource);
      const cases: Array<[method: 'post' | 'put' | 'delete', path: string, body?: unknown]> = [
        ['post', `/accounts/${target.account}-x`, { type: 'USER', email: null }],
        ['put', `/accounts/${target.account}`, { email: 'x@example.org' }],
        ['post', `/accounts/${target.account}/attr/country`, { value: 'CH' }],
        ['post', `/accounts/${target.account}/identities`, { identity: `${target.account}-id`, authtype: 'USERPASS', password: 'pw', email: null }],
        ['post', `/accounts/${target.account}/limits/local/${rse.rse}`, { bytes: 1000 }],
        ['post', `/accountlimits/global/${target.account}/${rse.rse}`, { bytes: 1000 }],
        ['post', `/scopes/${target.account}/${target.account.replace('-', '.')}`],
        ['delete', `/accounts/${target.account}`],
      ];
      for (const [method, path, body] of cases) {
        const refused = await call(bob, method, path, body);
        expect({ path, status: refused.status, exceptionClass: refused.body.ExceptionClass }).toEqual({ path, status: 401, exceptionClass: 'AccessDenied' });
      }
      for (const [method, path, body] of cases) {
        const allowed = await call(root, method, path, body);
        expect({ path, status: allowed.status }).toEqual({ path, status: method === 'post' ? 201 : 200 });
      }
    });
  });
});
