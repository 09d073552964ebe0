/**
 * The aggregates of the web UI: GET /overview (backlogs, rules by state, transfers and deletions per hour, failures
 * grouped by reason without the files of scopes the caller may not read, what is wrong) and GET /overview/rses (usage,
 * limits, protocols, the last audit; an RSE expression's preview); and the paged listings the UI reads: rules,
 * DID search, bad replica declarations.
 */
import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';

const PASSWORD = 'overview-secret';
const POSIX = { scheme: 'file', hostname: 'localhost', port: 0, prefix: '/data/ov', impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } };

describe('the web UI aggregates and paged listings', () => {
  let db: TestDatabase;
  let api: TestApi;
  let admin: string;
  let jdoe: string;
  let tokens: { admin: string; jdoe: string };
  let open: string;
  let embargo: string;
  let safe: CreatedRse;
  let fast: CreatedRse;
  let ruleIds: string[];

  const get = (who: 'admin' | 'jdoe', path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', tokens[who]);
  const send = (method: 'post' | 'put', path: string, body: unknown) =>
    request(api.url)[method](path).set('X-Rucio-Auth-Token', tokens.admin).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));

  /** A finished transfer attempt, `minutesAgo` ago. */
  const attempt = (scope: string, name: string, state: 'D' | 'F', minutesAgo: number, error: string | null = null) =>
    db.dataSource.query(
      `INSERT INTO requests_history (id, request_type, scope, name, dest_rse_id, state, err_msg, bytes, created_at, updated_at)
       VALUES (gen_random_uuid(), 'T', $1, $2, $3, $4, $5, 1000, now() - make_interval(mins => $6), now() - make_interval(mins => $6))`,
      [scope, name, fast.id, state, error, minutesAgo],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    admin = uniqueAccountName('ops');
    jdoe = uniqueAccountName('jdoe');
    await createAccount(db.dataSource, { account: admin, admin: true, password: PASSWORD });
    await createAccount(db.dataSource, { account: jdoe, password: PASSWORD });
    const auth = api.app.get(AuthenticationService);
    tokens = { admin: (await auth.authenticateUserpass(admin, admin, PASSWORD)).token, jdoe: (await auth.authenticateUserpass(jdoe, jdoe, PASSWORD)).token };
    open = (await createScope(db.dataSource, { scope: uniqueScopeName('exp'), account: admin })).scope;
    embargo = (await createScope(db.dataSource, { scope: uniqueScopeName('emb'), account: admin, restricted: true })).scope;
    safe = await createRse(db.dataSource, { attributes: { QOS: 'SAFE' }, protocols: [POSIX], limits: { MinFreeSpace: 5_000 } });
    fast = await createRse(db.dataSource, { attributes: { QOS: 'FAST' }, limits: { MaxBytes: 1_000_000 } });
    await send('post', `/dids/${open}/run4711`, { type: 'DATASET' }).expect(201);
    await send('post', `/dids/${open}/run4711/dids`, {
      rse: safe.rse,
      dids: [1, 2].map((i) => ({ scope: open, name: `raw_${i}.fits`, bytes: 1000 * i, adler32: '0000000' + i })),
    }).expect(201);
    ruleIds = (await send('post', '/rules', { dids: [{ scope: open, name: 'run4711' }], copies: 1, rse_expression: fast.rse }).expect(201)).body;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('counts rules by state and the transfers waiting, and says nothing is wrong while nothing is', async () => {
    const { body } = await get('jdoe', '/overview').expect(200);
    expect(body.rulesByState).toEqual({ R: 1 });
    expect(body.backlog.requestsByState).toEqual({ Q: 2 });
    expect(body.backlog.oldestQueuedSeconds).toBeLessThan(60);
    expect(body.backlog.tombstonesDue).toEqual(expect.arrayContaining([{ rseId: safe.id, rse: safe.rse, due: 0, bytes: 0 }]));
    expect(body.transfers.perHour).toHaveLength(24);
    expect(body.transfers.perHour.every((h: { done: number; failed: number }) => h.done === 0 && h.failed === 0)).toBe(true);
    expect(body.problems).toEqual([]);
  });

  it('charts transfer attempts per hour over 24 h and groups failures by their cause, leaving out files the caller may not read', async () => {
    for (let i = 0; i < 3; i++) await attempt(open, `raw_${i}.fits`, 'D', 5);
    await attempt(open, 'raw_1.fits', 'F', 10, 'Connection refused: https://dav.site-b.org:443/tarn/exp/ab/cd/raw_1.fits after 30 s');
    await attempt(open, 'raw_2.fits', 'F', 70, 'Connection refused: https://dav.site-b.org:443/tarn/exp/ef/01/raw_2.fits after 31 s');
    await attempt(embargo, 'secret.fits', 'F', 20, "Checksum mismatch on 'embargo/secret.fits': 0badc0de != 12345678");
    await attempt(open, 'ancient.fits', 'F', 25 * 60, 'Connection refused: https://old/');

    const asJdoe = (await get('jdoe', '/overview').expect(200)).body;
    const hours = asJdoe.transfers.perHour as Array<{ hour: string; done: number; failed: number; bytes: number }>;
    expect(hours.reduce((n, h) => n + h.done, 0)).toBe(3);
    expect(hours.reduce((n, h) => n + h.failed, 0)).toBe(3); // the one older than 24 h is not counted
    expect(new Date(hours[23].hour).getTime()).toBe(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    expect(hours.reduce((n, h) => n + h.bytes, 0)).toBe(3000);
    expect(asJdoe.transfers.lastHour).toEqual({ done: 3, failed: 2 }); // 60 minutes back, whatever the clock's hour
    expect(asJdoe.transfers.failureReasons).toEqual([
      { reason: 'Connection refused: … after … s', count: 2, example: expect.stringContaining('Connection refused: https://dav.site-b.org'), last: expect.any(String) },
    ]);
    const asAdmin = (await get('admin', '/overview').expect(200)).body;
    expect(asAdmin.transfers.failureReasons.map((r: { reason: string; count: number }) => [r.reason, r.count])).toEqual([
      ['Connection refused: … after … s', 2],
      ['Checksum mismatch on …: … != …', 1],
    ]);
  });

  it('counts deletions per hour with the bytes freed', async () => {
    await db.dataSource.query(
      `INSERT INTO outbox_messages (topic, key, event_type, payload, created_at)
       VALUES ('tarn.deletion', 'k', 'deletion.done', '{"bytes": 4096}', now() - interval '2 hours'),
              ('tarn.deletion', 'k', 'deletion.done', '{"bytes": 1024}', now()),
              ('tarn.deletion', 'k', 'deletion.failed', '{"error": "x"}', now()),
              ('tarn.deletion', 'k', 'deletion.done', '{"bytes": 1}', now() - interval '30 hours')`,
    );
    const { body } = await get('jdoe', '/overview').expect(200);
    const hours = body.deletions.perHour as Array<{ done: number; failed: number; bytes: number }>;
    expect([hours[23].done, hours[23].failed, hours[23].bytes]).toEqual([1, 1, 1024]);
    expect(hours.reduce((n, h) => n + h.done, 0)).toBe(2);
    expect(hours.reduce((n, h) => n + h.bytes, 0)).toBe(5120);
  });

  it('says what is wrong and why: stuck rules, failing transfers, old backlogs', async () => {
    await db.dataSource.query(`UPDATE rules SET state = 'S' WHERE id = $1`, [ruleIds[0]]);
    await db.dataSource.query(`UPDATE requests SET created_at = now() - interval '2 hours'`);
    await db.dataSource.query(`INSERT INTO updated_dids (scope, name, rule_evaluation_action, created_at) VALUES ($1, 'run4711', 'A', now() - interval '20 minutes')`, [open]);
    const { body } = await get('jdoe', '/overview').expect(200);
    expect(body.rulesByState).toEqual({ S: 1 });
    const problems = body.problems.map((p: { severity: string; what: string }) => `${p.severity}: ${p.what}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "error: 1 rule is STUCK: a lock failed after its retries (the rule's locks say why).",
        expect.stringMatching(/^error: 2 of 5 transfer attempts failed in the last hour \(40 %\)/),
        expect.stringMatching(/^warning: 2 transfers queued, the oldest for 2 h 0 min: is the transfer-submitter running/),
        expect.stringMatching(/^warning: 2 changed DIDs wait for the rule-evaluator, the oldest for 20 min: is it running\?/),
      ]),
    );
    expect(body.backlog.updatedDids).toBe(2); // the rule's attachment, and the one put here
  });

  it('lists RSEs with usage, limits, protocols and their last audit, and previews what an expression selects', async () => {
    await db.dataSource.query(
      `INSERT INTO consistency_runs (rse_id, state, started_at, finished_at, dark, missing, error) VALUES ($1, 'done', now() - interval '1 hour', now(), 3, 1, NULL)`,
      [safe.id],
    );
    const { body } = await get('jdoe', '/overview/rses').expect(200);
    const byName = Object.fromEntries(body.map((r: { name: string }) => [r.name, r]));
    expect(byName[safe.rse]).toMatchObject({
      qosClass: 'SAFE',
      availabilityWrite: true,
      limits: { MinFreeSpace: 5_000 },
      usedBytes: 3000,
      protocols: [{ rseId: safe.id, scheme: 'file', hostname: 'localhost', port: 0, prefix: '/data/ov' }],
    });
    expect(byName[fast.rse]).toMatchObject({ qosClass: 'FAST', limits: { MaxBytes: 1_000_000 }, usedBytes: 3000, freeBytes: 997_000, protocols: [], lastAudit: null });
    expect(byName[safe.rse].lastAudit).toMatchObject({ state: 'done', dark: 3, missing: 1, error: null });

    const preview = await get('jdoe', `/overview/rses?expression=${encodeURIComponent('QOS=FAST')}`).expect(200);
    expect(preview.body.map((r: { name: string }) => r.name)).toEqual([fast.rse]);
    expect((await get('jdoe', `/overview/rses?expression=${encodeURIComponent(`QOS=FAST&${safe.rse}`)}`).expect(200)).body).toEqual([]);
    const bad = await get('jdoe', `/overview/rses?expression=${encodeURIComponent('QOS=FAST|')}`).expect(400);
    expect(bad.body.ExceptionClass).toBe('InvalidRSEExpression');
  });

  it('pages rules on the server, newest first, and refuses pages it will not serve', async () => {
    for (const rse of [safe.rse, `${safe.rse}|${fast.rse}`]) {
      ruleIds.push(...(await send('post', '/rules', { dids: [{ scope: open, name: 'run4711' }], copies: 1, rse_expression: rse }).expect(201)).body);
    }
    const page = async (query: string) => lines((await get('admin', `/rules?${query}`).expect(200)).text).map((r: { id: string }) => r.id);
    expect(await page('newest_first=true&limit=2')).toEqual([ruleIds[2], ruleIds[1]]);
    expect(await page('newest_first=true&limit=2&offset=2')).toEqual([ruleIds[0]]);
    expect(await page('limit=1&offset=1')).toEqual([ruleIds[1]]);
    expect(await page(`limit=5&rse_expression=${encodeURIComponent(safe.rse)}`)).toEqual([ruleIds[1]]);
    expect(await page('')).toEqual(ruleIds); // without limit, every rule, as Rucio lists them
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'offset=-1', 'offset=1000001', 'newest_first=maybe']) {
      const refused = await get('admin', `/rules?${query}`).expect(400);
      expect([query, refused.body.ExceptionClass]).toEqual([query, 'InputValidationError']);
    }
  });

  it('pages a DID search with offset after limit', async () => {
    const search = async (query: string) => lines((await get('jdoe', `/dids/${open}/dids/search?type=file&${query}`).expect(200)).text);
    expect(await search('limit=1')).toEqual(['raw_1.fits']);
    expect(await search('limit=1&offset=1')).toEqual(['raw_2.fits']);
    expect(await search('limit=5&offset=2')).toEqual([]);
    expect((await get('jdoe', `/dids/${open}/dids/search?type=file&offset=-2`).expect(400)).body.ExceptionClass).toBeDefined();
  });

  it('lists declarations of bad and suspicious replicas, newest first, filtered and paged, for administrators', async () => {
    await db.dataSource.query(
      `INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes, created_at)
       VALUES ($1, 'raw_1.fits', $2, 'B', 'checksum mismatch', $3, 1000, now() - interval '2 hours'),
              ($1, 'raw_2.fits', $2, 'S', 'read failed', $3, 2000, now() - interval '1 hour'),
              ($1, 'raw_2.fits', $2, 'S', 'read failed again', $3, 2000, now())`,
      [open, safe.id, admin],
    );
    const list = async (query: string) => lines((await get('admin', `/replicas/bad/states?${query}`).expect(200)).text);
    const all = await list('');
    expect(all.map((d: { name: string; state: string }) => `${d.name} ${d.state}`)).toEqual(['raw_2.fits SUSPICIOUS', 'raw_2.fits SUSPICIOUS', 'raw_1.fits BAD']);
    expect(all[2]).toMatchObject({ scope: open, rse: safe.rse, rse_id: safe.id, reason: 'checksum mismatch', account: admin, bytes: 1000 });
    expect((await list('state=BAD')).map((d: { name: string }) => d.name)).toEqual(['raw_1.fits']);
    expect((await list(`rse=${safe.rse}&limit=1&offset=1`)).map((d: { reason: string }) => d.reason)).toEqual(['read failed']);
    expect((await get('admin', '/replicas/bad/states?state=GOOD').expect(400)).body.ExceptionMessage).toMatch(/BAD, SUSPICIOUS or LOST/);
    expect((await get('admin', '/replicas/bad/states?rse=NO_SUCH_RSE').expect(404)).body.ExceptionClass).toBe('RSENotFound');
    expect((await get('admin', '/replicas/bad/states?limit=1001').expect(400)).body.ExceptionClass).toBe('InputValidationError');
    expect((await get('jdoe', '/replicas/bad/states').expect(401)).body.ExceptionClass).toBe('AccessDenied');
  });
});
