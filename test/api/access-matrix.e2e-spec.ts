/**
 * The authorization matrix: every route of the API, read from Nest's route table, called by {no token, another
 * account, the owner, an administrator}, against what its @Access declaration says:
 *
 *   declared     no token          other account   owner           administrator
 *   public       allowed           allowed         allowed         allowed
 *   account      400 (no token)    allowed         allowed         allowed
 *   admin        400               AccessDenied    AccessDenied    allowed
 *   owner        400               AccessDenied    allowed         allowed
 *   reader       400               AccessDenied    allowed         allowed      (the owner's scope is restricted)
 *
 * Allowed means the route did its work (2xx, or the status its sample names); AccessDenied is Rucio's 401. Requests
 * come from access-matrix.samples.ts; a route the matrix cannot build a request for fails, naming what to add.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { lfn2pfn, scopeDirectory } from '@tarn/domain';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { routeTable, type Route } from '../../apps/api/src/http/route-table.js';
import { type Caller, defaultParams, type MatrixFixtures, type Sample, SAMPLES } from './access-matrix.samples.js';

jest.setTimeout(120_000);

const CALLERS: Caller[] = ['none', 'other', 'owner', 'admin'];
const PASSWORD = 'matrix-password';
const POSIX = { scheme: 'file', hostname: 'localhost', port: 0, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } };

type Outcome = 'allowed' | 'no-token' | 'denied';

function expected(route: Route, caller: Caller): Outcome {
  const kind = route.access!.kind;
  if (kind === 'public') return 'allowed';
  if (caller === 'none') return 'no-token';
  if (kind === 'nobody') return 'denied';
  if (caller === 'admin' || kind === 'account') return 'allowed';
  if (kind === 'admin') return 'denied';
  return caller === 'owner' ? 'allowed' : 'denied';
}

describe('the authorization matrix of every route', () => {
  let db: TestDatabase;
  let api: TestApi;
  let disk: { root: string; drop(): Promise<void> };
  let routes: Route[];
  let fx: MatrixFixtures;
  const tokens: Partial<Record<Caller, string>> = {};
  let counter = 0;

  const send = (who: Caller, method: string, path: string, sample: Sample = {}) => {
    let req = request(api.url)[method.toLowerCase() as 'get'](path).redirects(0);
    if (tokens[who]) req = req.set('X-Rucio-Auth-Token', tokens[who]!);
    for (const [name, value] of Object.entries(sample.headers ?? {})) req = req.set(name, value);
    if (sample.query) req = req.query(sample.query);
    return sample.body === undefined ? req : req.set('Content-Type', 'application/json').send(JSON.stringify(sample.body));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    routes = routeTable(api.app);
    disk = await createTestDirectory();
    const names = { owner: uniqueAccountName('owner'), other: uniqueAccountName('other'), admin: uniqueAccountName('admin'), spare: uniqueAccountName('spare') };
    for (const [who, account] of Object.entries(names)) {
      await createAccount(db.dataSource, { account, admin: who === 'admin', password: PASSWORD });
      if (who !== 'spare') tokens[who as Caller] = (await api.app.get(AuthenticationService).authenticateUserpass(account, account, PASSWORD)).token;
    }
    const { scope } = await createScope(db.dataSource, { scope: uniqueScopeName('user'), account: names.owner, restricted: true });
    const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
    const newRse = async () => (await createRse(db.dataSource, { protocols: [{ ...POSIX, prefix: disk.root }] })).rse;
    const [rse, rse2] = [await newRse(), await newRse()];
    const s3 = { scheme: 's3+http', hostname: '127.0.0.1', port: 9000, prefix: '/matrix/data/' };
    const s3Rse = (
      await createRse(db.dataSource, {
        protocols: [{ ...s3, impl: 'rucio.rse.protocols.s3.Default', domains: POSIX.domains, extendedAttributes: { access_key_id: 'matrix', secret_access_key: 'matrix-secret' } }],
      })
    ).rse;

    const as: MatrixFixtures['as'] = async (who, method, path, body) => {
      const response = await send(who, method, path, body === undefined ? {} : { body });
      if (response.status >= 400) throw new Error(`fixture ${method.toUpperCase()} ${path} as ${who}: ${response.status} ${response.text}`);
      return response;
    };
    const newDataset = async (withFile = false) => {
      const dataset = unique('ds');
      const file = withFile ? unique('file') : undefined;
      await as('owner', 'post', `/dids/${scope}/${dataset}`, { type: 'DATASET' });
      if (file) await as('owner', 'post', `/dids/${scope}/${dataset}/dids`, { rse, dids: [{ scope, name: file, bytes: 1, adler32: '00000002' }] });
      return { dataset, file };
    };
    const newRule = async () => {
      const { dataset } = await newDataset(true);
      return ((await as('owner', 'post', '/rules', { dids: [{ scope, name: dataset }], copies: 1, rse_expression: rse })).body as string[])[0];
    };
    const newHook = async () => {
      const name = unique('hook');
      await as('owner', 'post', '/hooks', { name, schedule: '0 2 * * *', source: { rse, prefix: `${scopeDirectory(scope)}incoming` }, target: { scope, dataset: 'daq.{yyyy}' } });
      return name;
    };
    const newSubscription = async () => {
      const name = unique('sub');
      await as('owner', 'post', `/subscriptions/${names.owner}/${name}`, { options: { filter: { scope: [scope] }, replication_rules: [{ copies: 1, rse_expression: rse }] } });
      return name;
    };
    /** A lifetime exception the owner asked for, on a new dataset of its that expires in a day. */
    const newException = async () => {
      const { dataset: expiring } = await newDataset();
      await db.dataSource.query(`UPDATE dids SET expired_at = now() + interval '1 day' WHERE scope = $1 AND name = $2`, [scope, expiring]);
      const answer = await as('owner', 'post', '/lifetime_exceptions', { dids: [{ scope, name: expiring }], comments: 'the matrix' });
      return Object.keys(answer.body.exceptions)[0];
    };
    const { dataset, file } = await newDataset(true);
    const listed = await as('owner', 'post', '/replicas/list', { dids: [{ scope, name: file }], all_states: true });
    const hook = await newHook();
    const [{ id: hookRun }] = await db.dataSource.query(
      `INSERT INTO hook_runs (hook_id, trigger, state, instance, started_at, finished_at)
       SELECT id, 'manual', 'DONE', 'matrix', now(), now() FROM hooks WHERE name = $1 RETURNING id`,
      [hook],
    );
    fx = {
      ...names,
      password: PASSWORD,
      scope,
      dataset,
      file: file!,
      filePfn: JSON.parse(listed.text.split('\n')[0]).rses[rse][0],
      rse,
      rse2,
      s3Rse,
      s3Url: lfn2pfn(s3, scope, file!),
      ruleId: await newRule(),
      subscription: await newSubscription(),
      hook,
      hookRun: String(hookRun),
      unique,
      as,
      newRse,
      newDataset,
      newRule,
      newHook,
      newSubscription,
      newException,
    };
  });

  afterAll(async () => {
    await api?.close();
    await disk?.drop();
    await db?.drop();
  });

  it('covers the whole API, every route with a declared policy', () => {
    expect(routes.length).toBeGreaterThanOrEqual(126);
    expect(routes.filter((r) => !r.access).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('can build a request for every route', () => {
    const defaults = defaultParams(fx);
    const missing = routes
      .filter((r) => !SAMPLES[`${r.method} ${r.path}`] && (r.readsBody || r.params.some((p) => !(p in defaults))))
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const unknown = Object.keys(SAMPLES).filter((key) => !routes.some((r) => `${r.method} ${r.path}` === key));
    expect(unknown).toEqual([]);
  });

  it('answers each caller as the route declares', async () => {
    const defaults = defaultParams(fx);
    const mismatches: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      for (const caller of CALLERS) {
        const sample = (await SAMPLES[key]?.(fx, caller)) ?? {};
        const params = { ...defaults, ...sample.params };
        const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
        const response = await send(caller, route.method, path, sample);
        const want = expected(route, caller);
        const exceptionClass = response.headers.exceptionclass;
        const ok =
          want === 'allowed'
            ? sample.status !== undefined
              ? response.status === sample.status
              : response.status >= 200 && response.status < 400
            : want === 'no-token'
              ? response.status === 400 && exceptionClass === 'CannotAuthenticate'
              : response.status === 401 && exceptionClass === 'AccessDenied';
        if (!ok) mismatches.push(`${key} as ${caller}: expected ${want}, got ${response.status} ${exceptionClass ?? ''} ${(response.text ?? '').slice(0, 200)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
