import request from 'supertest';
import { RuleService } from '@tarn/core';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { RUCIO_DATE, RULE_KEYS, SUBSCRIPTION_KEYS, WEB_UI_REQUESTS, type WebUiRequestName } from './webui-requests.js';
import { webUiWorld, type WebUiWorld } from './webui-world.js';

type Row = Record<string, unknown>;
const ROWS = (Object.keys(WEB_UI_REQUESTS) as WebUiRequestName[]).filter((name) => /^(replicas|bad|request|rse|rule|subscription)/.test(name));

/** RFC 1123 as the UI's formatFilterDate writes it: `Sat, 05 Dec 2026 21:00:00 UTC`. */
function formatFilterDate(date: Date): string {
  return date.toUTCString().replace('GMT', 'UTC');
}

/** The web UI's replica, request, RSE, rule and subscription pages, each request sent as its gateway sends it. */
describe("Rucio's web UI: replicas, requests, RSEs, rules and subscriptions", () => {
  let w: WebUiWorld;
  let send: WebUiWorld['ui']['send'];
  let ruleId: string;
  let pendingId: string;
  let subscriptionId: string;
  const file = () => w.dataset.files[0];

  beforeAll(async () => {
    w = await webUiWorld();
    send = w.ui.send;
  });

  afterAll(async () => {
    await w?.close();
  });

  describe('rules', () => {
    const ruleBody = (overrides: Row = {}) => ({
      dids: [{ scope: w.scope, name: w.dataset.name }],
      copies: 1,
      rse_expression: w.dest.rse,
      account: 'jdoe',
      grouping: 'DATASET',
      lifetime: 86400,
      comments: 'from the web UI',
      ask_approval: false,
      asynchronous: false,
      activity: 'User Subscriptions',
      notify: 'N',
      meta: null,
      // CreateRuleRequest's own fields, which Rucio's REST layer ignores as it ignores every key it does not know
      sample: false,
      sample_file_count: 0,
      ...overrides,
    });

    it('creates a rule from the wizard with comments and keys Rucio ignores, and answers [rule id]', async () => {
      const created = await send('ruleCreate', { token: w.tokens.jdoe, body: ruleBody() });
      expect(created.status).toBe(201);
      expect(created.value).toEqual([expect.stringMatching(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/)]);
      ruleId = (created.value as string[])[0];
      const pending = await send('ruleCreate', { token: w.tokens.jdoe, body: ruleBody({ rse_expression: w.source.rse, ask_approval: true, lifetime: null }) });
      expect(pending.status).toBe(201);
      pendingId = (pending.value as string[])[0];
      const foreign = await send('ruleCreate', { token: w.tokens.mallory, body: ruleBody({ account: 'jdoe' }) });
      expect(foreign.status).toBe(401);
    });

    it('shows a rule with every key of TRucioRule, dates as Rucio writes them, states by name', async () => {
      const shown = await send('ruleGet', { token: w.tokens.jdoe, path: { id: ruleId } });
      expect(shown.status).toBe(200);
      const rule = shown.value as Row;
      expect(Object.keys(rule)).toEqual(expect.arrayContaining([...RULE_KEYS]));
      expect(rule).toMatchObject({
        id: ruleId, scope: w.scope, name: w.dataset.name, account: 'jdoe', did_type: 'DATASET', grouping: 'DATASET', state: 'REPLICATING',
        comments: 'from the web UI', activity: 'User Subscriptions', notification: 'NO', copies: 1, locks_replicating_cnt: 2, locked: false,
      });
      for (const key of ['created_at', 'updated_at', 'expires_at']) expect(rule[key]).toMatch(RUCIO_DATE);
      expect((await send('ruleGet', { token: w.tokens.jdoe, path: { id: '0'.repeat(32) } })).status).toBe(404);
    });

    it("lists every account's rules with account=* and scope=* (the dashboard and rules list), and the UI's filters", async () => {
      const all = await send('rulesList', { token: w.tokens.root, query: { account: '*', scope: '*' } });
      expect(all.status).toBe(200);
      expect((all.value as Row[]).map((r) => r.id)).toEqual(expect.arrayContaining([ruleId, pendingId]));
      for (const rule of all.value as Row[]) expect(rule.created_at).toMatch(RUCIO_DATE);
      const hour = 3600_000;
      const filtered = await send('rulesList', {
        token: w.tokens.jdoe,
        query: {
          account: 'j*', scope: 'user.*', activity: 'User Subscriptions', updated_after: formatFilterDate(new Date(Date.now() - hour)),
          updated_before: formatFilterDate(new Date(Date.now() + hour)), state: 'R', name: w.dataset.name,
        },
      });
      expect(filtered.status).toBe(200);
      expect((filtered.value as Row[]).map((r) => r.id)).toEqual([ruleId]);
      const none = await send('rulesList', { token: w.tokens.jdoe, query: { account: 'nobody*', scope: '*' } });
      expect(none.value).toEqual([]);
    });

    it('lists the rules waiting for approval (state W) with did_type, grouping, comments and bytes', async () => {
      const pending = await send('rulesPendingApproval', { token: w.tokens.root, query: { account: '*', scope: '*', state: 'W' } });
      expect(pending.status).toBe(200);
      expect(pending.value).toEqual([expect.objectContaining({ id: pendingId, state: 'WAITING_APPROVAL', did_type: 'DATASET', grouping: 'DATASET', comments: 'from the web UI' })]);
      expect((pending.value as Row[])[0]).toHaveProperty('bytes');
      const byName = await send('rulesPendingApproval', { token: w.tokens.root, query: { account: '*', scope: '*', state: 'WAITING_APPROVAL' } });
      expect((byName.value as Row[]).map((r) => r.id)).toEqual([pendingId]);
    });

    it('approves a rule from the approvals page (options {approve: true}), for administrators only; the owner may not', async () => {
      const [other] = (await send('ruleCreate', { token: w.tokens.jdoe, body: ruleBody({ rse_expression: w.source.rse, ask_approval: true, lifetime: null, dids: [{ scope: w.scope, name: w.dataset.files[0].name }] }) })).value as string[];
      expect((await send('ruleUpdate', { token: w.tokens.jdoe, path: { id: other }, body: { options: { approve: true } } })).status).toBe(401);
      expect((await send('ruleUpdate', { token: w.tokens.root, path: { id: other }, body: { options: { approve: true } } })).status).toBe(200);
      expect(((await send('ruleGet', { token: w.tokens.jdoe, path: { id: other } })).value as Row).state).toBe('OK');
      const pending = await send('rulesPendingApproval', { token: w.tokens.root, query: { account: '*', scope: '*', state: 'W' } });
      expect((pending.value as Row[]).map((r) => r.id)).toEqual([pendingId]);
      await send('ruleDelete', { token: w.tokens.jdoe, path: { id: other }, body: {} });
    });

    it("lists an account's rules at /rules?account=", async () => {
      const mine = await send('rulesForAccount', { token: w.tokens.jdoe, query: { account: 'jdoe' } });
      expect(mine.status).toBe(200);
      expect((mine.value as Row[]).map((r) => r.id).sort()).toEqual([ruleId, pendingId].sort());
    });

    it('lists the locks of a rule as NDJSON with the lock states by name', async () => {
      const locks = await send('ruleLocks', { token: w.tokens.jdoe, path: { id: ruleId } });
      expect(locks.status).toBe(200);
      expect(locks.value).toEqual(
        w.dataset.files
          .map((f) => expect.objectContaining({ scope: w.scope, name: f.name, rse_id: w.dest.id, rse: w.dest.rse, state: 'REPLICATING', rule_id: ruleId }))
          .sort((a, b) => (a.sample.name < b.sample.name ? -1 : 1)),
      );
    });

    it('examines a rule: its error and its transfers', async () => {
      const analysis = await send('ruleAnalysis', { token: w.tokens.jdoe, path: { id: ruleId } });
      expect(analysis.status).toBe(200);
      expect(analysis.value).toMatchObject({ rule_error: expect.stringContaining('2 REPLICATING'), transfers: expect.any(Array) });
    });

    it('updates a rule as the rule page does: lifetime and comment by its owner, boost and lock by administrators (as in Rucio)', async () => {
      const asOwner = [{ lifetime: 7200 }, { comment: 'boosted' }];
      const asAdmin = [{ boost_rule: true }, { locked: true }];
      for (const [token, options] of [...asOwner.map((o) => [w.tokens.jdoe, o] as const), ...asAdmin.map((o) => [w.tokens.root, o] as const)]) {
        const updated = await send('ruleUpdate', { token, path: { id: ruleId }, body: { options } });
        expect({ options, status: updated.status }).toEqual({ options, status: 200 });
      }
      expect((await send('ruleUpdate', { token: w.tokens.jdoe, path: { id: ruleId }, body: { options: { boost_rule: true } } })).status).toBe(401);
      const rule = (await send('ruleGet', { token: w.tokens.jdoe, path: { id: ruleId } })).value as Row;
      expect(rule).toMatchObject({ locked: true, comments: 'boosted' });
      const left = (new Date(rule.expires_at as string).getTime() - Date.now()) / 1000;
      expect(left).toBeGreaterThan(7000);
      expect(left).toBeLessThanOrEqual(7200);
      expect((await send('ruleUpdate', { token: w.tokens.mallory, path: { id: ruleId }, body: { options: { lifetime: 1 } } })).status).toBe(401);
      await send('ruleUpdate', { token: w.tokens.root, path: { id: ruleId }, body: { options: { locked: false } } });
    });
  });

  describe('replicas and requests', () => {
    let pfn: string;

    it('lists the replicas of a file in all states (POST /replicas/list as a stream), by RSE name', async () => {
      const body = { dids: [{ scope: w.scope, name: file().name }], all_states: true, ignore_availability: true };
      const listed = await send('replicasList', { token: w.tokens.jdoe, body });
      expect(listed.status).toBe(200);
      const [replica] = listed.value as Row[];
      expect(replica).toMatchObject({ scope: w.scope, name: file().name, bytes: 1000, states: { [w.source.rse]: 'AVAILABLE', [w.dest.rse]: 'COPYING' } });
      expect(Object.keys(replica.rses as Row).sort()).toEqual([w.source.rse, w.dest.rse].sort());
      [pfn] = (replica.rses as Record<string, string[]>)[w.source.rse];
      expect(pfn).toMatch(/^https:\/\/storage\.example\.org:443\/data\/tarn\//);
    });

    it('lists the dataset replicas per RSE with available files and bytes', async () => {
      const listed = await send('replicasDatasets', { token: w.tokens.jdoe, path: { scope: w.scope, name: w.dataset.name } });
      expect(listed.status).toBe(200);
      const bySite = Object.fromEntries((listed.value as Row[]).map((r) => [r.rse, r]));
      expect(bySite[w.source.rse]).toMatchObject({ state: 'AVAILABLE', available_length: 2, available_bytes: 2000, length: 2, bytes: 2000 });
      expect(bySite[w.source.rse].created_at).toMatch(RUCIO_DATE);
    });

    it('shows the transfer request of a file towards an RSE to administrators, as a Rucio request dictionary', async () => {
      const path = { scope: encodeURIComponent(w.scope), name: encodeURIComponent(file().name), rse: encodeURIComponent(w.dest.rse) };
      const found = await send('request', { token: w.tokens.root, path });
      expect(found.value).toMatchObject({
        scope: w.scope, name: file().name, dest_rse: w.dest.rse, request_type: 'TRANSFER', did_type: 'FILE', state: 'QUEUED', account: 'jdoe',
        retry_count: 0, activity: 'User Subscriptions', bytes: 1000, requested_at: expect.stringMatching(RUCIO_DATE), rule_id: ruleId,
      });
      expect((await send('request', { token: w.tokens.jdoe, path })).status).toBe(401);
      const none = await send('request', { token: w.tokens.root, path: { ...path, rse: 'NO_SUCH_RSE' } });
      expect([none.status, (none.value as Row).ExceptionClass]).toEqual([404, 'RequestNotFound']);
    });

    it('lists suspicious replicas as one JSON array, filtered as the UI filters them', async () => {
      await request(w.api.url).post('/replicas/suspicious').set('X-Rucio-Auth-Token', w.tokens.jdoe).send({ pfns: [pfn], reason: 'checksum' }).expect(201);
      const all = await send('replicasSuspicious', { token: w.tokens.root });
      expect(all.status).toBe(200);
      expect(all.value).toEqual([expect.objectContaining({ scope: w.scope, name: file().name, rse: w.source.rse, rse_id: w.source.id, cnt: 1 })]);
      expect((all.value as Row[])[0].created_at).toMatch(RUCIO_DATE);
      // As in Rucio, a replica is listed when it was declared more than nattempts times.
      const query = { rse_expression: w.source.rse, younger_than: new Date(Date.now() - 3600_000).toISOString(), nattempts: '0' };
      expect((await send('replicasSuspicious', { token: w.tokens.root, query })).value).toHaveLength(1);
      expect((await send('replicasSuspicious', { token: w.tokens.root, query: { rse_expression: w.dest.rse } })).value).toEqual([]);
    });

    it('declares PFNs bad ("Created"), temporarily unavailable with an expiry too; only administrators may', async () => {
      const body = { pfns: [pfn], reason: 'lost on disk', state: 'BAD', expires_at: null };
      expect((await send('badPfns', { token: w.tokens.mallory, body })).status).toBe(401);
      const declared = await send('badPfns', { token: w.tokens.root, body });
      expect([declared.status, declared.value]).toEqual([201, 'Created']);
      const [other] = await w.db.dataSource.query(`SELECT name FROM replicas WHERE rse_id = $1 AND name <> $2`, [w.source.id, file().name]);
      const listed = await send('replicasList', { token: w.tokens.root, body: { dids: [{ scope: w.scope, name: other.name }], all_states: true, ignore_availability: true } });
      const [otherPfn] = ((listed.value as Row[])[0].rses as Record<string, string[]>)[w.source.rse];
      const expiry = new Date(Date.now() + 86400_000).toISOString();
      const temporary = await send('badPfns', { token: w.tokens.root, body: { pfns: [otherPfn], reason: 'maintenance', state: 'TEMPORARY_UNAVAILABLE', expires_at: expiry } });
      expect([temporary.status, temporary.value]).toEqual([201, 'Created']);
    });

    it('declares replicas of DIDs bad on an RSE and answers the ones not declared (none)', async () => {
      const body = { dids: [{ scope: w.scope, name: file().name }], rse: w.source.rse, reason: 'lost', expires_at: null };
      expect((await send('badDids', { token: w.tokens.mallory, body })).status).toBe(401);
      const declared = await send('badDids', { token: w.tokens.root, body });
      expect(declared.status).toBe(201);
      expect(declared.value).toEqual([]);
    });
  });

  describe('RSEs', () => {
    it('lists the RSEs of an expression as a stream, and says 400 for an expression that selects nothing', async () => {
      const listed = await send('rseList', { token: w.tokens.jdoe, query: { expression: 'site=SOURCE' } });
      expect(listed.status).toBe(200);
      expect(listed.value).toEqual([expect.objectContaining({ id: w.source.id, rse: w.source.rse, rse_type: 'DISK', volatile: false, deterministic: true, staging_area: false })]);
      const none = await send('rseList', { token: w.tokens.jdoe, query: { expression: 'site=NOWHERE' } });
      expect([none.status, (none.value as Row).ExceptionClass]).toEqual([400, 'InvalidRSEExpression']);
    });

    it('shows an RSE, its attributes (its own name among them), its protocols as a list and its usage as one JSON object', async () => {
      const info = await send('rseInfo', { token: w.tokens.jdoe, path: { rse: w.source.rse } });
      expect(info.value).toMatchObject({ id: w.source.id, rse: w.source.rse, rse_type: 'DISK', volatile: false, deterministic: true, staging_area: false });
      const attributes = await send('rseAttributes', { token: w.tokens.jdoe, path: { rse: w.source.rse } });
      expect(attributes.value).toMatchObject({ site: 'SOURCE', [w.source.rse]: true });
      const protocols = await send('rseProtocols', { token: w.tokens.jdoe, path: { rse: w.source.rse } });
      expect(protocols.value).toEqual([
        expect.objectContaining({
          scheme: 'https', hostname: 'storage.example.org', port: 443, prefix: '/data/tarn/', impl: 'rucio.rse.protocols.webdav.Default',
          domains: expect.objectContaining({ lan: { read: 1, write: 1, delete: 1 }, wan: expect.objectContaining({ read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }) }),
        }),
      ]);
      const bare = await createRse(w.db.dataSource);
      const noProtocols = await send('rseProtocols', { token: w.tokens.jdoe, path: { rse: bare.rse } });
      expect([noProtocols.status, (noProtocols.value as Row).ExceptionClass]).toEqual([404, 'RSEProtocolNotSupported']);
      const usage = await send('rseUsage', { token: w.tokens.jdoe, path: { rse: w.source.rse } });
      expect(usage.status).toBe(200);
      expect(usage.value).toMatchObject({ rse_id: w.source.id, rse: w.source.rse, source: 'storage', used: 2000, free: 8000, total: 10000 });
      expect((usage.value as Row).updated_at).toMatch(RUCIO_DATE);
      expect((await send('rseInfo', { token: w.tokens.jdoe, path: { rse: 'NO_SUCH_RSE' } })).status).toBe(404);
    });
  });

  describe('subscriptions', () => {
    beforeAll(async () => {
      const created = await request(w.api.url)
        .post('/subscriptions/jdoe/raw-to-safe')
        .set('X-Rucio-Auth-Token', w.tokens.jdoe)
        .send({ options: { filter: { scope: [w.scope] }, replication_rules: [{ copies: 1, rse_expression: w.dest.rse, activity: 'User Subscriptions' }], comments: 'nightly' } })
        .expect(201);
      subscriptionId = created.text;
      const rules = w.api.app.get(RuleService);
      const issuer = { account: 'jdoe', admin: false };
      await rules.addRules(issuer, ruleSpec(w.dataset.files[0], w.dest.rse, { subscriptionId, activity: 'Express' }));
      await rules.addRules(issuer, ruleSpec(w.dataset.files[1], w.dest.rse, { subscriptionId, activity: 'Express' }));
      await rules.addRules(issuer, ruleSpec(w.dataset.files[1], w.source.rse, { subscriptionId, activity: 'Express' }));
    });

    const expectSubscription = (value: unknown) => {
      const subscription = value as Row;
      expect(Object.keys(subscription)).toEqual(expect.arrayContaining([...SUBSCRIPTION_KEYS]));
      expect(subscription).toMatchObject({ id: subscriptionId, name: 'raw-to-safe', account: 'jdoe', state: 'ACTIVE', retroactive: false, comments: 'nightly' });
      expect(JSON.parse(subscription.replication_rules as string)).toEqual([expect.objectContaining({ rse_expression: w.dest.rse, copies: 1 })]);
      expect(JSON.parse(subscription.filter as string)).toMatchObject({ scope: [w.scope] });
      for (const key of ['created_at', 'updated_at']) expect(subscription[key]).toMatch(RUCIO_DATE);
    };

    it("lists an account's subscriptions as a stream, and shows one by name and by id", async () => {
      const listed = await send('subscriptionsOfAccount', { token: w.tokens.jdoe, path: { account: 'jdoe' } });
      expect(listed.status).toBe(200);
      expect(listed.value).toHaveLength(1);
      expectSubscription((listed.value as Row[])[0]);
      const byName = await send('subscriptionByName', { token: w.tokens.jdoe, path: { account: 'jdoe', name: encodeURIComponent('raw-to-safe') } });
      expect(byName.status).toBe(200);
      expectSubscription(byName.value);
      expectSubscription((await send('subscriptionById', { token: w.tokens.root, path: { id: subscriptionId } })).value);
      const missing = await send('subscriptionById', { token: w.tokens.root, path: { id: '00000000-0000-0000-0000-000000000000' } });
      expect([missing.status, (missing.value as Row).ExceptionClass]).toEqual([404, 'SubscriptionNotFound']);
      expect((await send('subscriptionByName', { token: w.tokens.jdoe, path: { account: 'jdoe', name: 'none' } })).status).toBe(404);
    });

    it("counts a subscription's rules by state, as tuples (account, name, state, count), for an account or a wildcard", async () => {
      const states = await send('subscriptionRuleStates', { token: w.tokens.jdoe, path: { account: 'jdoe' } });
      expect(states.value).toEqual([
        ['jdoe', 'raw-to-safe', 'OK', 1],
        ['jdoe', 'raw-to-safe', 'REPLICATING', 2],
      ]);
      expect((await send('subscriptionRuleStates', { token: w.tokens.root, path: { account: 'j*' } })).value).toHaveLength(2);
      expect((await send('subscriptionRuleStates', { token: w.tokens.root, path: { account: 'nobody' } })).text).toBe('');
    });
  });

  describe('deleting', () => {
    it('deletes a rule with an empty JSON body; another account is refused', async () => {
      expect((await send('ruleDelete', { token: w.tokens.mallory, path: { id: pendingId }, body: {} })).status).toBe(401);
      expect((await send('ruleDelete', { token: w.tokens.jdoe, path: { id: pendingId }, body: {} })).status).toBe(200);
      expect((await send('ruleGet', { token: w.tokens.jdoe, path: { id: pendingId } })).status).toBe(404);
    });

    it('sent every replica, request, RSE, rule and subscription request of the table, each answered with Rucio\'s Content-Type', () => {
      expect(ROWS.filter((name) => !w.ui.sent.has(name))).toEqual([]);
      expect(w.ui.wrongTypes).toEqual([]);
    });
  });
});
