import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { rucioClient, RucioClient, startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';

const PASSWORD = 'secret-rule-tests';
/** Each stock CLI command starts a Python interpreter: seconds each on a loaded machine. */
const CLI_TIMEOUT = 180_000;
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC$/;

function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** The body rucio-clients' add_replication_rule sends, with its defaults. */
function clientRuleBody(dids: { scope: string; name?: string }[], rseExpression: string, overrides: Record<string, unknown> = {}) {
  return {
    dids,
    copies: 1,
    rse_expression: rseExpression,
    weight: null,
    lifetime: null,
    grouping: 'DATASET',
    account: null,
    locked: false,
    source_replica_expression: null,
    activity: null,
    notify: 'N',
    purge_replicas: false,
    ignore_availability: false,
    comment: null,
    ask_approval: false,
    asynchronous: false,
    delay_injection: null,
    priority: 3,
    meta: null,
    ...overrides,
  };
}

describe('rule routes', () => {
  let db: TestDatabase;
  let api: TestApi;
  const tokens: Record<string, string> = {};
  const scope = 'user.jdoe';
  let n = 0;

  const as = (account: string) => {
    const token = tokens[account];
    return {
      get: (path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', token),
      post: (path: string, body?: unknown) => request(api.url).post(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body ?? {})),
      put: (path: string, body?: unknown) => request(api.url).put(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body ?? {})),
      delete: (path: string, body?: unknown) => request(api.url).delete(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body ?? {})),
    };
  };
  const dataset = (files = 2) => createDataset(db.dataSource, { scope, account: 'jdoe', files, bytes: 100, name: `ds.${++n}` });
  const addRule = async (account: string, body: Record<string, unknown>): Promise<string> => {
    const response = await as(account).post('/rules/', body).expect(201);
    expect(response.headers['content-type']).toBe('application/json');
    const ids = response.body as string[];
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    const auth = api.app.get(AuthenticationService);
    for (const [account, admin] of [['root', true], ['jdoe', false], ['alice', false]] as const) {
      await createAccount(db.dataSource, { account, admin, password: PASSWORD });
      tokens[account] = (await auth.authenticateUserpass(account, account, PASSWORD)).token;
    }
    await createScope(db.dataSource, { scope, account: 'jdoe' });
    await createRse(db.dataSource, { rse: 'R_A', attributes: { tier: 1 } });
    await createRse(db.dataSource, { rse: 'R_B', attributes: { tier: 1 } });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('add and show', () => {
    it("adds a rule with the stock client's body and shows it as Rucio does (state by name, RFC 1123 dates)", async () => {
      const ds = await dataset(2);
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A', { lifetime: 3600, comment: 'first', activity: 'T0 Export' }));
      const response = await as('jdoe').get(`/rules/${id}`).expect(200);
      expect(response.headers['content-type']).toBe('application/json');
      const rule = response.body;
      expect(rule).toMatchObject({
        id,
        account: 'jdoe',
        scope,
        name: ds.name,
        did_type: 'DATASET',
        state: 'REPLICATING',
        rse_expression: 'R_A',
        copies: 1,
        locks_ok_cnt: 0,
        locks_replicating_cnt: 2,
        locks_stuck_cnt: 0,
        grouping: 'DATASET',
        notification: 'NO',
        locked: false,
        comments: 'first',
        activity: 'T0 Export',
        priority: 3,
        purge_replicas: false,
        child_rule_id: null,
        meta: null,
      });
      expect(rule.created_at).toMatch(RFC1123);
      expect(rule.expires_at).toMatch(RFC1123);
      const lifetime = (new Date(rule.expires_at).getTime() - Date.now()) / 1000;
      expect(lifetime).toBeGreaterThan(3500);
      expect(lifetime).toBeLessThanOrEqual(3600);
    });

    it('shows a rule on AVAILABLE replicas as OK', async () => {
      const [file] = await createFiles(db.dataSource, { scope, account: 'jdoe', bytes: 10 });
      const rse = await createRse(db.dataSource, { rse: 'R_OK' });
      await createReplicas(db.dataSource, { rseId: rse.id, files: [file] });
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: file.name }], 'R_OK', { meta: '{"campaign": "run4711"}' }));
      expect((await as('jdoe').get(`/rules/${id}`).expect(200)).body).toMatchObject({
        state: 'OK',
        did_type: 'FILE',
        locks_ok_cnt: 1,
        expires_at: null,
        meta: JSON.stringify({ campaign: 'run4711' }),
      });
    });

    it('refuses a duplicate rule with 409 DuplicateRule', async () => {
      const ds = await dataset(1);
      await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      const response = await as('jdoe').post('/rules/', clientRuleBody([{ scope, name: ds.name }], 'R_A')).expect(409);
      expect(response.body.ExceptionClass).toBe('DuplicateRule');
      expect(response.body.ExceptionMessage).toContain(`${scope}:${ds.name}`);
    });

    it('refuses an expression with a stray token (400 InvalidRSEExpression naming it) and unknown DIDs (404)', async () => {
      const ds = await dataset(1);
      const stray = await as('jdoe').post('/rules/', clientRuleBody([{ scope, name: ds.name }], 'R_A)')).expect(400);
      expect(stray.body.ExceptionClass).toBe('InvalidRSEExpression');
      expect(stray.body.ExceptionMessage).toContain(')');
      const unknown = await as('jdoe').post('/rules/', clientRuleBody([{ scope, name: 'no.such.dataset' }], 'R_A')).expect(404);
      expect(unknown.body.ExceptionClass).toBe('DataIdentifierNotFound');
    });

    it('refuses bodies of wrong types and rules for other accounts, naming what is wrong; ignores keys it does not know, as Rucio does', async () => {
      const ds = await dataset(1);
      const did = [{ scope, name: ds.name }];
      expect((await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { copies: 'two' })).expect(400)).body.ExceptionMessage).toContain('copies');
      expect((await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { copies: 0 })).expect(400)).body.ExceptionClass).toBe('InvalidReplicationRule');
      expect((await as('jdoe').post('/rules/', { ...clientRuleBody([], 'R_A'), dids: 'ds' }).expect(400)).body.ExceptionMessage).toContain('dids');
      expect((await as('jdoe').post('/rules/', clientRuleBody([{ scope }], 'R_A')).expect(400)).body.ExceptionMessage).toContain('name');
      expect((await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { grouping: 'SOME' })).expect(400)).body.ExceptionMessage).toContain('grouping');
      expect((await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { meta: '{not json' })).expect(400)).body.ExceptionMessage).toContain('meta');
      expect((await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { account: 'alice' })).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      expect(ndjson((await as('root').get(`/rules/?scope=${scope}&name=${ds.name}`).expect(200)).text)).toEqual([]);
      const [ruleId] = (await as('jdoe').post('/rules/', clientRuleBody(did, 'R_A', { colour: 'red', comments: 'from the web UI' })).expect(201)).body;
      expect((await as('jdoe').get(`/rules/${ruleId}`).expect(200)).body).toMatchObject({ comments: 'from the web UI' });
      expect((await as('jdoe').get(`/rules/?scope=${scope}&colour=red`).expect(400)).body.ExceptionMessage).toContain("'colour'");
    });

    it('answers 404 RuleNotFound for unknown and malformed rule ids', async () => {
      expect((await as('jdoe').get('/rules/6f1d2c1e-0000-4000-8000-000000000000').expect(404)).body.ExceptionClass).toBe('RuleNotFound');
      expect((await as('jdoe').get('/rules/not-a-rule-id').expect(404)).body.ExceptionClass).toBe('RuleNotFound');
    });
  });

  describe('list and locks', () => {
    it('streams rules as NDJSON, filtered', async () => {
      const ds = await dataset(1);
      const id = await addRule('alice', clientRuleBody([{ scope, name: ds.name }], 'R_B'));
      const response = await as('jdoe').get('/rules/?account=alice').expect(200);
      expect(response.headers['content-type']).toBe('application/x-json-stream');
      const rules = ndjson(response.text);
      expect(rules.map((r) => r.id)).toEqual([id]);
      expect(rules[0]).toMatchObject({ account: 'alice', state: 'REPLICATING', rse_expression: 'R_B', bytes: null });
      expect(ndjson((await as('jdoe').get('/rules/?account=alice&state=REPLICATING').expect(200)).text).map((r) => r.id)).toEqual([id]);
      expect(ndjson((await as('jdoe').get('/rules/?account=alice&state=OK').expect(200)).text)).toEqual([]);
      expect((await as('jdoe').get('/rules/?state=BROKEN').expect(400)).body.ExceptionClass).toBe('UnsupportedStatus');
      expect((await as('jdoe').get('/rules/?colour=red').expect(400)).body.ExceptionMessage).toContain("'colour'");
    });

    it("streams a rule's locks with their states by name", async () => {
      const ds = await dataset(3);
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      const response = await as('jdoe').get(`/rules/${id}/locks`).expect(200);
      expect(response.headers['content-type']).toBe('application/x-json-stream');
      const locks = ndjson(response.text);
      expect(locks.map((l) => l.name)).toEqual(ds.files.map((f) => f.name));
      expect(locks[0]).toMatchObject({ scope, rule_id: id, rse: 'R_A', state: 'REPLICATING', bytes: 100, reason_code: 'QUEUED', reason: 'queued for transfer', error: null });
      await as('jdoe').get('/rules/6f1d2c1e-0000-4000-8000-000000000000/locks').expect(404);
    });
  });

  describe('update, delete', () => {
    it("updates a rule's options; a locked rule cannot be deleted; another account's rule cannot be deleted", async () => {
      const ds = await dataset(1);
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      await as('jdoe').put(`/rules/${id}`, { options: { locked: true, comment: 'keep it', lifetime: 7200, priority: 4 } }).expect(200);
      const rule = (await as('jdoe').get(`/rules/${id}`).expect(200)).body;
      expect(rule).toMatchObject({ locked: true, comments: 'keep it', priority: 4 });
      expect(rule.expires_at).toMatch(RFC1123);

      const locked = await as('jdoe').delete(`/rules/${id}`, { purge_replicas: null }).expect(400);
      expect(locked.body.ExceptionClass).toBe('UnsupportedOperation');
      expect(locked.body.ExceptionMessage).toContain('locked');

      await as('jdoe').put(`/rules/${id}`, { options: { locked: false, lifetime: null } }).expect(200);
      expect((await as('jdoe').get(`/rules/${id}`).expect(200)).body).toMatchObject({ locked: false, expires_at: null });
      expect((await as('alice').delete(`/rules/${id}`, { purge_replicas: null }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      expect((await as('alice').put(`/rules/${id}`, { options: { comment: 'mine' } }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      await as('jdoe').delete(`/rules/${id}`, { purge_replicas: true }).expect(200);
      expect((await as('jdoe').get(`/rules/${id}`).expect(404)).body.ExceptionClass).toBe('RuleNotFound');
      await as('jdoe').delete(`/rules/${id}`).expect(404);
    });

    it('suspends and resumes a rule; refuses unknown options, wrong types and states it cannot set', async () => {
      const ds = await dataset(1);
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      await as('jdoe').put(`/rules/${id}`, { options: { state: 'SUSPENDED' } }).expect(200);
      expect((await as('jdoe').get(`/rules/${id}`).expect(200)).body.state).toBe('SUSPENDED');
      await as('jdoe').put(`/rules/${id}`, { options: { state: 'REPLICATING' } }).expect(200);
      expect((await as('jdoe').get(`/rules/${id}`).expect(200)).body.state).toBe('REPLICATING');
      expect((await as('jdoe').put(`/rules/${id}`, { options: { colour: 'red' } }).expect(400)).body.ExceptionMessage).toContain("'colour'");
      expect((await as('jdoe').put(`/rules/${id}`, { options: { locked: 'yes' } }).expect(400)).body.ExceptionMessage).toContain('locked');
      expect((await as('jdoe').put(`/rules/${id}`, { options: { state: 'INJECT' } }).expect(400)).body.ExceptionClass).toBe('UnsupportedStatus');
      expect((await as('jdoe').put(`/rules/${id}`, { options: { cancel_requests: true } }).expect(400)).body.ExceptionMessage).toContain('cancel_requests');
      expect((await as('jdoe').put(`/rules/${id}`, { options: { child_rule_id: id } }).expect(400)).body.ExceptionMessage).toContain('same DID');
      expect((await as('jdoe').put(`/rules/${id}`, { lifetime: 10 }).expect(400)).body.ExceptionMessage).toContain('options');
      expect((await as('jdoe').put(`/rules/${id}`, { options: { account: 'alice' } }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
    });

    it('approves and denies rules waiting for approval (administrators), as approve/deny_replication_rule send it', async () => {
      const [first, second] = [await dataset(1), await dataset(1)];
      const approved = await addRule('jdoe', clientRuleBody([{ scope, name: first.name }], 'R_A', { ask_approval: true }));
      const denied = await addRule('jdoe', clientRuleBody([{ scope, name: second.name }], 'R_A', { ask_approval: true }));
      expect((await as('jdoe').get(`/rules/${approved}`).expect(200)).body.state).toBe('WAITING_APPROVAL');
      expect((await as('jdoe').put(`/rules/${approved}`, { options: { approve: true } }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      await as('root').put(`/rules/${approved}`, { options: { approve: true } }).expect(200);
      expect((await as('jdoe').get(`/rules/${approved}`).expect(200)).body).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 1 });
      await as('root').put(`/rules/${denied}`, { options: { approve: false, comment: 'no space this month' } }).expect(200);
      await as('jdoe').get(`/rules/${denied}`).expect(404);
    });
  });

  describe('move and analysis', () => {
    it('moves a rule: answers the child id (JSON), which the parent links to', async () => {
      const ds = await dataset(1);
      const parent = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      const response = await as('jdoe').post(`/rules/${parent}/move`, { rule_id: parent, rse_expression: 'R_B', override: { comment: 'moved' } }).expect(201);
      expect(response.headers['content-type']).toBe('application/json');
      const child = JSON.parse(response.text);
      expect(typeof child).toBe('string');
      expect((await as('jdoe').get(`/rules/${child}`).expect(200)).body).toMatchObject({ rse_expression: 'R_B', comments: 'moved', account: 'jdoe' });
      expect((await as('jdoe').get(`/rules/${parent}`).expect(200)).body.child_rule_id).toBe(child);
      expect((await as('jdoe').post(`/rules/${parent}/move`, { rse_expression: 'R_B', override: {} }).expect(400)).body.ExceptionClass).toBe('RuleReplaceFailed');
      expect((await as('jdoe').post(`/rules/${child}/move`, { rse_expression: 'R_A', override: { colour: 1 } }).expect(400)).body.ExceptionMessage).toContain("'colour'");
      expect((await as('alice').post(`/rules/${child}/move`, { rse_expression: 'R_A', override: {} }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
    });

    it('examines a rule', async () => {
      const ds = await dataset(1);
      const id = await addRule('jdoe', clientRuleBody([{ scope, name: ds.name }], 'R_A'));
      const analysis = (await as('jdoe').get(`/rules/${id}/analysis`).expect(200)).body;
      expect(analysis).toEqual({
        rule_error: `1 lock(s) not OK: 1 REPLICATING QUEUED (e.g. queued for transfer)`,
        transfers: [expect.objectContaining({ scope, name: ds.files[0].name, rse: 'R_A', state: 'REPLICATING', reason_code: 'QUEUED', reason: 'queued for transfer' })],
        reasons: [{ state: 'REPLICATING', reason_code: 'QUEUED', locks: 1, bytes: 100, rses: ['R_A'], example: { scope, name: ds.files[0].name, rse: 'R_A', reason: 'queued for transfer' } }],
      });
    });
  });
});

describe('rucio rule commands (stock rucio-clients)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let jdoe: RucioClient;
  let alice: RucioClient;
  const scope = 'user.jdoe';
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createAccount(db.dataSource, { account: 'alice', password: PASSWORD });
    await createScope(db.dataSource, { scope, account: 'jdoe' });
    await createRse(db.dataSource, { rse: 'CLI_A', attributes: { tier: 1 } });
    await createRse(db.dataSource, { rse: 'CLI_B', attributes: { tier: 1 } });
    jdoe = await rucioClient(api.url, 'jdoe', PASSWORD);
    alice = await rucioClient(api.url, 'alice', PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('adds a rule (rucio rule add, rucio add-rule), shows it and lists it', async () => {
    const ds = await createDataset(db.dataSource, { scope, account: 'jdoe', files: 2, bytes: 100, name: 'cli.ds.1' });
    const added = await jdoe.run('rucio', ['rule', 'add', `${scope}:${ds.name}`, '--copies', '1', '--rses', 'CLI_A', '--lifetime', '86400']);
    const id = UUID.exec(added.stdout)?.[0];
    expect(id).toBeDefined();

    const shown = (await jdoe.run('rucio', ['rule', 'show', id!])).stdout;
    for (const text of [id!, 'jdoe', ds.name, 'CLI_A', 'REPLICATING', 'DATASET']) expect(shown).toContain(text);
    const legacy = (await jdoe.run('rucio', ['rule-info', id!])).stdout;
    expect(legacy).toMatch(/Locks OK\/REPLICATING\/STUCK:\s+0\/2\/0/);
    expect(legacy).toMatch(/State:\s+REPLICATING/);
    // The client parses Rucio's RFC 1123 dates into datetimes, which it prints in ISO form.
    expect(legacy).toMatch(/Expires at:\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);

    const listed = (await jdoe.run('rucio', ['list-rules', '--id', id!])).stdout;
    expect(listed).toContain(id!);
    expect(listed).toContain('REPLICATING[0/2/0]');

    const byAccount = (await jdoe.run('rucio', ['rule', 'list', '--account', 'jdoe'])).stdout;
    expect(byAccount).toContain(id!);
    expect(byAccount).toContain(`${scope}:${ds.name}`);

    const ds2 = await createDataset(db.dataSource, { scope, account: 'jdoe', files: 1, bytes: 100, name: 'cli.ds.2' });
    const legacyAdd = await jdoe.run('rucio', ['add-rule', `${scope}:${ds2.name}`, '1', 'tier=1']);
    expect(legacyAdd.stdout).toMatch(UUID);
  }, CLI_TIMEOUT);

  it('refuses a duplicate rule and an expression with a stray token', async () => {
    const duplicate = await jdoe.attempt('rucio', ['rule', 'add', `${scope}:cli.ds.1`, '--copies', '1', '--rses', 'CLI_A']);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stdout + duplicate.stderr).toMatch(/already has a rule/);
    const stray = await jdoe.attempt('rucio', ['rule', 'add', `${scope}:cli.ds.1`, '--copies', '1', '--rses', 'CLI_A&&CLI_B']);
    expect(stray.code).not.toBe(0);
    expect(stray.stdout + stray.stderr).toMatch(/Invalid RSE expression/i);
  }, CLI_TIMEOUT);

  it('deletes a rule (rucio rule remove): refused while locked and for another account', async () => {
    const ds = await createDataset(db.dataSource, { scope, account: 'jdoe', files: 1, bytes: 100, name: 'cli.ds.3' });
    const id = UUID.exec((await jdoe.run('rucio', ['rule', 'add', `${scope}:${ds.name}`, '--copies', '1', '--rses', 'CLI_B'])).stdout)![0];
    await jdoe.run('rucio', ['rule', 'update', id, '--locked', 'True', '--comment', 'precious']);
    const locked = await jdoe.attempt('rucio', ['rule', 'remove', id]);
    expect(locked.code).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/locked/);
    await jdoe.run('rucio', ['rule', 'update', id, '--locked', 'False']);
    const other = await alice.attempt('rucio', ['rule', 'remove', id]);
    expect(other.code).not.toBe(0);
    expect(other.stdout + other.stderr).toMatch(/may not delete/);
    await jdoe.run('rucio', ['rule', 'remove', id]);
    const gone = await jdoe.attempt('rucio', ['rule', 'show', id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout + gone.stderr).toMatch(/not found/i);
  }, CLI_TIMEOUT);
});
