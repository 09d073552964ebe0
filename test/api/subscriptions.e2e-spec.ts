/**
 * Rucio's /subscriptions routes over HTTP, with Tarn's transmogrifier running (embedded mode): add, list (all, by
 * account, by name), show, update, the rules a subscription made, delete; errors in Rucio's format; and the stock
 * `rucio-admin subscription add/list/update`.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { AuthenticationService } from '@tarn/core';
import { rucioClient, type RucioClient } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';

/** Each stock CLI command starts a Python interpreter: seconds each on a loaded machine. */
jest.setTimeout(180_000);

const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC$/;
const DAY = 86_400_000;

function ndjson(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

describe('subscription routes', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  const tokens: Record<string, string> = {};

  const as = (account: string) => {
    const auth = (r: request.Test) => r.set('X-Rucio-Auth-Token', tokens[account]);
    return {
      get: (path: string) => auth(request(tarn.url).get(path)).buffer(true).parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => cb(null, text));
      }),
      post: (path: string, body?: unknown) => auth(request(tarn.url).post(path)).set('Content-Type', 'application/json').send(JSON.stringify(body ?? {})),
      put: (path: string, body?: unknown) => auth(request(tarn.url).put(path)).set('Content-Type', 'application/json').send(JSON.stringify(body ?? {})),
      delete: (path: string) => auth(request(tarn.url).delete(path)),
    };
  };
  const list = async (account: string, path: string) => {
    const response = await as(account).get(path).expect(200);
    expect(response.headers['content-type']).toMatch(/application\/x-json-stream/);
    return ndjson(response.body as string);
  };
  const rawOptions = {
    filter: { scope: ['user.jdoe'], datatype: ['RAW'], did_type: 'DATASET' },
    replication_rules: [{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 3600, activity: 'T0 Export' }],
    comments: 'raw data to safe storage',
    lifetime: 2,
    retroactive: false,
    dry_run: false,
    priority: 4,
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', { TARN_TRANSMOGRIFIER_INTERVAL_SECONDS: '1' });
    const auth = tarn.app.get(AuthenticationService);
    for (const [account, admin] of [['root', true], ['jdoe', false], ['alice', false]] as const) {
      await createAccount(db.dataSource, { account, admin, password: PASSWORD });
      tokens[account] = (await auth.authenticateUserpass(account, account, PASSWORD)).token;
    }
    await createScope(db.dataSource, { scope: 'user.jdoe', account: 'jdoe' });
    await createRse(db.dataSource, { rse: 'VAULT', attributes: { QOS: 'SAFE' } });
  });

  afterAll(async () => {
    await tarn?.close();
    await db?.drop();
  });

  let id: string;

  it('adds a subscription (201, its id as text) and shows it as Rucio does', async () => {
    const created = await as('jdoe').post('/subscriptions/jdoe/raw-to-safe', { options: rawOptions }).expect(201);
    id = created.text;
    expect(id).toMatch(/^[0-9a-f-]{32,36}$/);
    const [sub, ...more] = await list('jdoe', '/subscriptions/jdoe/raw-to-safe');
    expect(more).toEqual([]);
    expect(sub).toMatchObject({ id, name: 'raw-to-safe', account: 'jdoe', state: 'ACTIVE', comments: 'raw data to safe storage', retroactive: false, policyid: 4 });
    expect(JSON.parse(sub.filter)).toEqual(rawOptions.filter);
    expect(JSON.parse(sub.replication_rules)).toEqual([{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 3600, activity: 'T0 Export' }]);
    expect(sub.created_at).toMatch(RFC1123);
    // Rucio's lifetime is in days.
    expect(Math.abs(Date.parse(sub.expired_at) - Date.now() - 2 * DAY)).toBeLessThan(60_000);
  });

  it('lists every subscription, an account’s, and those of a name', async () => {
    await as('alice').post('/subscriptions/alice/raw-to-safe', { options: { ...rawOptions, lifetime: null } }).expect(201);
    expect((await list('jdoe', '/subscriptions/')).map((s) => `${s.account}:${s.name}`).sort()).toEqual(['alice:raw-to-safe', 'jdoe:raw-to-safe']);
    expect((await list('jdoe', '/subscriptions/alice')).map((s) => s.account)).toEqual(['alice']);
    expect((await list('alice', '/subscriptions/name/raw-to-safe')).map((s) => s.account).sort()).toEqual(['alice', 'jdoe']);
    const [alices] = await list('alice', '/subscriptions/alice/raw-to-safe');
    expect(alices.expired_at).toBeNull();
  });

  it('gives each new matching DID the rules, once, and lists them', async () => {
    await as('jdoe').post('/dids/user.jdoe/night-1', { type: 'DATASET', meta: { datatype: 'RAW' } }).expect(201);
    await as('jdoe').post('/dids/user.jdoe/calib-1', { type: 'DATASET', meta: { datatype: 'CALIB' } }).expect(201);
    const deadline = Date.now() + 20_000;
    let rules: Array<Record<string, any>> = [];
    while (Date.now() < deadline && rules.length === 0) {
      rules = await list('jdoe', '/subscriptions/jdoe/raw-to-safe/rules');
      if (rules.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(rules.map((r) => [r.account, r.scope, r.name, r.rse_expression, r.activity])).toEqual([['jdoe', 'user.jdoe', 'night-1', 'QOS=SAFE', 'T0 Export']]);
    expect(rules[0].subscription_id ?? id).toBe(id);
    expect(rules[0].priority).toBe(4); // the subscription's priority (Rucio's policyid)
    // alice's subscription (same filter) makes its own rule; only what jdoe's made is listed under jdoe's.
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM rules WHERE subscription_id = $1`, [id]);
    expect(n).toBe(1);
  });

  it('refuses bad input (400), duplicates (409), other accounts (401) and unknown subscriptions (404)', async () => {
    const duplicate = await as('jdoe').post('/subscriptions/jdoe/raw-to-safe', { options: rawOptions }).expect(409);
    expect(duplicate.body.ExceptionClass).toBe('SubscriptionDuplicate');
    expect(duplicate.headers.exceptionclass).toBe('SubscriptionDuplicate');
    const noRules = await as('jdoe').post('/subscriptions/jdoe/empty', { options: { filter: {}, replication_rules: [] } }).expect(400);
    expect(noRules.body.ExceptionClass).toBe('InvalidReplicationRule');
    const badType = await as('jdoe').post('/subscriptions/jdoe/bad', { options: { ...rawOptions, filter: { did_type: 'TAPE' } } }).expect(400);
    expect(badType.body.ExceptionMessage).toMatch(/did_type 'TAPE'/);
    const badRule = await as('jdoe').post('/subscriptions/jdoe/bad', { options: { ...rawOptions, replication_rules: [{ copies: 1, rse_expression: 'QOS=NOWHERE' }] } }).expect(400);
    expect(badRule.body.ExceptionClass).toBe('InvalidRSEExpression');
    await as('jdoe').post('/subscriptions/jdoe/bad', { options: { ...rawOptions, lifetime: -1 } }).expect(400);
    const foreign = await as('alice').post('/subscriptions/jdoe/mine', { options: rawOptions }).expect(401);
    expect(foreign.body.ExceptionClass).toBe('AccessDenied');
    await as('alice').put('/subscriptions/jdoe/raw-to-safe', { options: { state: 'INACTIVE' } }).expect(401);
    await as('alice').delete('/subscriptions/jdoe/raw-to-safe').expect(401);
    const missing = await as('jdoe').get('/subscriptions/jdoe/nope').expect(404);
    expect(JSON.parse(missing.body as string).ExceptionClass).toBe('SubscriptionNotFound');
    await as('jdoe').get('/subscriptions/name/nope').expect(404);
    await as('jdoe').get('/subscriptions/jdoe/nope/rules').expect(404);
    await as('jdoe').put('/subscriptions/jdoe/nope', { options: { state: 'INACTIVE' } }).expect(404);
    await as('jdoe').delete('/subscriptions/jdoe/nope').expect(404);
    await as('jdoe').put('/subscriptions/jdoe/raw-to-safe', { options: { state: 'ASLEEP' } }).expect(400);
    for (const priority of [0, 6, 2.5, 'high']) {
      const bad = await as('jdoe').put('/subscriptions/jdoe/raw-to-safe', { options: { priority } }).expect(400);
      expect(bad.body.ExceptionMessage).toMatch(/priority .* 1 to 5/);
    }
  });

  it('updates: a new filter marks it UPDATED, INACTIVE stops it; null options keep the stored values', async () => {
    await as('jdoe').put('/subscriptions/jdoe/raw-to-safe', { options: { filter: { scope: ['user.jdoe'], datatype: ['RAW', 'DARK'] }, comments: null, lifetime: null } }).expect(201);
    let [sub] = await list('jdoe', '/subscriptions/jdoe/raw-to-safe');
    expect(JSON.parse(sub.filter)).toEqual({ scope: ['user.jdoe'], datatype: ['RAW', 'DARK'] });
    expect(sub.comments).toBe('raw data to safe storage');
    expect(sub.policyid).toBe(4);
    expect(['UPDATED', 'ACTIVE']).toContain(sub.state); // the transmogrifier turns UPDATED back to ACTIVE after its pass
    await as('jdoe').put('/subscriptions/jdoe/raw-to-safe', { options: { state: 'INACTIVE' } }).expect(201);
    [sub] = await list('jdoe', '/subscriptions/jdoe/raw-to-safe');
    expect(sub.state).toBe('INACTIVE');
  });

  it('deletes a subscription (200); the rules it made stay', async () => {
    await as('jdoe').delete('/subscriptions/jdoe/raw-to-safe').expect(200);
    await as('jdoe').get('/subscriptions/jdoe/raw-to-safe').expect(404);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM rules WHERE scope = 'user.jdoe' AND name = 'night-1' AND account = 'jdoe'`);
    expect(n).toBe(1);
  });

  describe('the stock rucio-admin', () => {
    let client: RucioClient;

    beforeAll(async () => {
      client = await rucioClient(tarn.url, 'jdoe', PASSWORD);
    });

    it('adds, lists and updates a subscription', async () => {
      const filter = JSON.stringify({ scope: ['user.jdoe'], datatype: ['CALIB'] });
      const rules = JSON.stringify([{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 3600 }]);
      const added = await client.run('rucio-admin', ['subscription', 'add', 'calib-to-safe', filter, rules, 'calibration frames', '--lifetime', '3']);
      const newId = /Subscription added ([0-9a-f-]+)/.exec(added.stdout)?.[1];
      expect(newId).toMatch(/^[0-9a-f-]{32,36}$/);
      let [sub] = await list('jdoe', '/subscriptions/jdoe/calib-to-safe');
      expect(sub).toMatchObject({ id: newId, account: 'jdoe', comments: 'calibration frames', state: 'ACTIVE' });
      expect(Math.abs(Date.parse(sub.expired_at) - Date.now() - 3 * DAY)).toBeLessThan(120_000);

      const listed = await client.run('rucio-admin', ['subscription', 'list']);
      expect(listed.stdout).toMatch(/jdoe: calib-to-safe ACTIVE/);
      expect(listed.stdout).toContain('"datatype":["CALIB"]');
      const named = await client.run('rucio-admin', ['subscription', 'list', '--long', 'calib-to-safe']);
      expect(named.stdout).toContain(`id: ${newId}`);

      const duplicate = await client.attempt('rucio-admin', ['subscription', 'add', 'calib-to-safe', filter, rules, 'again']);
      expect(duplicate.code).not.toBe(0);
      expect(duplicate.stdout + duplicate.stderr).toMatch(/already/i);

      const wider = JSON.stringify({ scope: ['user.jdoe'], datatype: ['CALIB', 'FLAT'] });
      await client.run('rucio-admin', ['subscription', 'update', 'calib-to-safe', wider, JSON.stringify([{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 7200 }]), 'calibration and flats']);
      [sub] = await list('jdoe', '/subscriptions/jdoe/calib-to-safe');
      expect(JSON.parse(sub.filter)).toEqual({ scope: ['user.jdoe'], datatype: ['CALIB', 'FLAT'] });
      expect(JSON.parse(sub.replication_rules)).toEqual([{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 7200 }]);
      expect(sub.comments).toBe('calibration and flats');
      expect(Math.abs(Date.parse(sub.expired_at) - Date.now() - 3 * DAY)).toBeLessThan(120_000); // no --lifetime: kept
    });
  });
});
