/**
 * The /hooks routes over HTTP, with Tarn's ingester running (embedded mode): create, list, show, update, run now and
 * the record of runs, delete; validation and permission errors in Rucio's error format.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthenticationService } from '@tarn/core';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';

jest.setTimeout(60_000);

const PASSWORD = 'secret-hook-routes';
const posixProtocol = (root: string) => ({
  scheme: 'file',
  hostname: 'localhost',
  prefix: root,
  impl: 'rucio.rse.protocols.posix.Default',
  domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } },
});

describe('hook routes', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let disk: { root: string; drop(): Promise<void> };
  const tokens: Record<string, string> = {};

  const as = (account: string) => {
    const auth = (r: request.Test) => r.set('X-Rucio-Auth-Token', tokens[account]);
    return {
      get: (path: string) => auth(request(tarn.url).get(path)),
      post: (path: string, body?: unknown) => auth(request(tarn.url).post(path)).set('Content-Type', 'application/json').send(JSON.stringify(body ?? {})),
      put: (path: string, body?: unknown) => auth(request(tarn.url).put(path)).set('Content-Type', 'application/json').send(JSON.stringify(body ?? {})),
      delete: (path: string) => auth(request(tarn.url).delete(path)),
    };
  };
  const zeroCopy = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    schedule: '0 2 * * *',
    source: { rse: 'DAQ', prefix: 'user/jdoe/incoming', glob: '**/*.dat' },
    target: { scope: 'user.jdoe', dataset: 'daq.{yyyy}{mm}{dd}' },
    rules: [{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 86400 }],
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', { TARN_INGESTER_INTERVAL_SECONDS: '1' });
    const auth = tarn.app.get(AuthenticationService);
    for (const [account, admin] of [['root', true], ['jdoe', false], ['alice', false]] as const) {
      await createAccount(db.dataSource, { account, admin, password: PASSWORD });
      tokens[account] = (await auth.authenticateUserpass(account, account, PASSWORD)).token;
    }
    await createScope(db.dataSource, { scope: 'user.jdoe', account: 'jdoe' });
    disk = await createTestDirectory();
    await createRse(db.dataSource, { rse: 'DAQ', deterministic: false, attributes: { allow_user_paths: true }, protocols: [posixProtocol(disk.root)] });
    await createRse(db.dataSource, { rse: 'VAULT', attributes: { QOS: 'SAFE' } });
    mkdirSync(join(disk.root, 'user/jdoe/incoming/a'), { recursive: true });
    for (const f of ['a/1.dat', 'a/2.dat', 'skip.txt']) writeFileSync(join(disk.root, 'user/jdoe/incoming', f), `data of ${f}`);
  });

  afterAll(async () => {
    await tarn?.close();
    await disk?.drop();
    await db?.drop();
  });

  it('creates a hook (201) and shows it, with its next tick and file counts', async () => {
    const created = await as('jdoe').post('/hooks', zeroCopy('daq')).expect(201);
    expect(created.body).toMatchObject({
      name: 'daq',
      account: 'jdoe',
      enabled: true,
      source: { kind: 'rse', rse: 'DAQ', prefix: 'user/jdoe/incoming', glob: '**/*.dat' },
      target: { scope: 'user.jdoe', rse: 'DAQ', name: '{basename}', dataset: 'daq.{yyyy}{mm}{dd}' },
      checksum: 'registrar',
      rules: [{ copies: 1, rseExpression: 'QOS=SAFE', lifetime: 86400 }],
      runRequestedAt: null,
    });
    expect(Date.parse(created.body.nextRunAt)).toBeGreaterThan(Date.now());
    const shown = await as('jdoe').get('/hooks/daq').expect(200);
    expect(shown.body).toMatchObject({ id: created.body.id, name: 'daq', files: {} });
  });

  it('lists the caller’s hooks; administrators see every account, or one with ?account=', async () => {
    await as('root').post('/hooks', zeroCopy('root-hook', { account: 'root', target: { scope: 'user.jdoe' } })).expect(201);
    expect((await as('jdoe').get('/hooks').expect(200)).body.map((h: { name: string }) => h.name)).toEqual(['daq']);
    expect((await as('root').get('/hooks').expect(200)).body.map((h: { name: string }) => h.name).sort()).toEqual(['daq', 'root-hook']);
    expect((await as('root').get('/hooks?account=jdoe').expect(200)).body.map((h: { name: string }) => h.name)).toEqual(['daq']);
    const refused = await as('alice').get('/hooks?account=jdoe').expect(401);
    expect(refused.body.ExceptionClass).toBe('AccessDenied');
  });

  it('refuses invalid hooks (400, naming the field), duplicates (409), unknown RSEs and hooks (404), others’ hooks (401)', async () => {
    const badCron = await as('jdoe').post('/hooks', zeroCopy('bad', { schedule: '61 * * * *' })).expect(400);
    expect(badCron.body.ExceptionClass).toBe('InputValidationError');
    expect(badCron.body.ExceptionMessage).toMatch(/schedule '61 \* \* \* \*'/);
    expect(badCron.headers.exceptionclass).toBe('InputValidationError');
    const badTemplate = await as('jdoe').post('/hooks', zeroCopy('bad', { target: { scope: 'user.jdoe', dataset: 'run.{run}' } })).expect(400);
    expect(badTemplate.body.ExceptionMessage).toMatch(/\{run\}/);
    await as('jdoe').post('/hooks', { ...zeroCopy('bad'), rules: [{ copies: 0, rse_expression: 'QOS=SAFE' }] }).expect(400);
    const duplicate = await as('jdoe').post('/hooks', zeroCopy('daq')).expect(409);
    expect(duplicate.body.ExceptionMessage).toMatch(/'daq' exists already/);
    const noRse = await as('jdoe').post('/hooks', zeroCopy('nowhere', { source: { rse: 'NO_SUCH_RSE', prefix: 'user/jdoe/x' } })).expect(404);
    expect(noRse.body.ExceptionClass).toBe('RSENotFound');
    // In place, an account's hook lists only its scope's directory: its runs never show other scopes' files.
    for (const prefix of ['user', 'user/alice', 'user/jdoex']) {
      const outside = await as('jdoe').post('/hooks', zeroCopy('outside', { source: { rse: 'DAQ', prefix } })).expect(401);
      expect(outside.body.ExceptionMessage).toContain("only under its scope's directory 'user/jdoe/' on RSE 'DAQ'");
    }
    for (const prefix of ['', 'user/jdoe/../alice']) {
      const refused = await as('jdoe').post('/hooks', zeroCopy('outside', { source: { rse: 'DAQ', prefix } }));
      expect({ prefix, status: refused.status }).toEqual({ prefix, status: expect.any(Number) });
      expect([400, 401]).toContain(refused.status);
    }
    const dropbox = await as('jdoe').post('/hooks', zeroCopy('box', { source: { dropbox: '/etc' }, target: { scope: 'user.jdoe', rse: 'VAULT' } })).expect(401);
    expect(dropbox.body.ExceptionClass).toBe('AccessDenied');
    const notFound = await as('jdoe').get('/hooks/nope').expect(404);
    expect(notFound.body.ExceptionClass).toBe('KeyNotFound');
    await as('jdoe').put('/hooks/nope', { enabled: false }).expect(404);
    await as('jdoe').delete('/hooks/nope').expect(404);
    await as('jdoe').post('/hooks/nope/run').expect(404);
    await as('alice').get('/hooks/daq').expect(401);
    await as('alice').put('/hooks/daq', { enabled: false }).expect(401);
    await as('alice').post('/hooks/daq/run').expect(401);
    await as('alice').delete('/hooks/daq').expect(401);
    await as('jdoe').get('/hooks/daq/runs/00000000-0000-0000-0000-000000000000').expect(404);
    await as('jdoe').get('/hooks/daq/runs/not-a-run').expect(404);
  });

  it('updates only the fields given; a disabled hook cannot be run', async () => {
    const updated = await as('jdoe').put('/hooks/daq', { enabled: false, comment: 'paused', source: { rse: 'DAQ', prefix: 'user/jdoe/incoming/a' } }).expect(200);
    expect(updated.body).toMatchObject({ enabled: false, comment: 'paused', source: { kind: 'rse', prefix: 'user/jdoe/incoming/a', glob: null }, schedule: '0 2 * * *' });
    expect(updated.body.rules).toHaveLength(1);
    const refused = await as('jdoe').post('/hooks/daq/run').expect(400);
    expect(refused.body.ExceptionClass).toBe('UnsupportedOperation');
    const moved = await as('jdoe').put('/hooks/daq', { enabled: true, schedule: '30 3 * * *', timezone: 'Europe/Berlin', source: { rse: 'DAQ', prefix: 'user/jdoe/incoming', glob: '**/*.dat' } }).expect(200);
    expect(moved.body).toMatchObject({ enabled: true, schedule: '30 3 * * *', timezone: 'Europe/Berlin' });
    await as('jdoe').put('/hooks/daq', { schedule: 'every night' }).expect(400);
  });

  it('runs now (202): the ingester takes it up; the runs list and one run show its counts', async () => {
    const requested = await as('jdoe').post('/hooks/daq/run').expect(202);
    expect(requested.body.runRequestedAt).not.toBeNull();
    const deadline = Date.now() + 20_000;
    let runs: Array<Record<string, any>> = [];
    while (Date.now() < deadline) {
      runs = (await as('jdoe').get('/hooks/daq/runs').expect(200)).body;
      if (runs.some((r) => r.state !== 'RUNNING')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ hook: 'daq', trigger: 'MANUAL', state: 'DONE', filesListed: 2, filesRegistered: 2, datasetsCreated: 1, rulesCreated: 1, errors: [] });
    const one = await as('jdoe').get(`/hooks/daq/runs/${runs[0].id}`).expect(200);
    expect(one.body).toEqual(runs[0]);
    const shown = (await as('jdoe').get('/hooks/daq').expect(200)).body;
    expect(shown.runRequestedAt).toBeNull();
    expect(shown.lastSuccessAt).not.toBeNull();
    expect(Object.values(shown.files as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    expect((await as('jdoe').get('/hooks/daq/runs?limit=1').expect(200)).body).toHaveLength(1);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM rules WHERE scope = 'user.jdoe' AND account = 'jdoe' AND rse_expression = 'QOS=SAFE'`);
    expect(n).toBe(1);
  });

  it('renames and deletes a hook; the DIDs it registered stay', async () => {
    await as('jdoe').put('/hooks/daq', { name: 'daq-2' }).expect(200);
    await as('jdoe').get('/hooks/daq').expect(404);
    await as('jdoe').delete('/hooks/daq-2').expect(200);
    await as('jdoe').get('/hooks/daq-2').expect(404);
    expect((await as('jdoe').get('/hooks').expect(200)).body).toEqual([]);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM dids WHERE scope = 'user.jdoe' AND did_type = 'F'`);
    expect(n).toBe(2);
  });
});
