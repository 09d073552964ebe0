/**
 * Requests the authorization matrix (access-matrix.e2e-spec.ts) sends, per route: `'METHOD /path'` as in the OpenAPI
 * document. A route whose path parameters all have a default (DEFAULT_PARAMS) and that reads no body needs no entry;
 * any other route must have one, or the matrix fails naming it. A sample is called once per caller, so that a route
 * that destroys or creates something gets a fresh one each time; it is built for the owner's things (the owner's
 * restricted scope, dataset, rule...), and the matrix expects the route to refuse or allow the caller accordingly.
 */
import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import { scopeDirectory } from '@tarn/domain';

export type Caller = 'none' | 'other' | 'owner' | 'admin';

export interface Sample {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The status an allowed caller gets, when not 2xx. */
  status?: number;
}

export interface MatrixFixtures {
  /** Account names: the owner of everything below, another ordinary account, an administrator, and a spare one no cell acts as. */
  owner: string;
  other: string;
  admin: string;
  spare: string;
  password: string;
  /** The owner's restricted scope, a dataset in it with one file (and its replica on rse), a rule on the dataset. */
  scope: string;
  dataset: string;
  file: string;
  filePfn: string;
  rse: string;
  rse2: string;
  s3Rse: string;
  s3Url: string;
  ruleId: string;
  subscription: string;
  hook: string;
  hookRun: string;
  unique(prefix: string): string;
  /** A request as `who` that must succeed (fixtures only). */
  as(who: Exclude<Caller, 'none'>, method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown): Promise<request.Response>;
  newRse(): Promise<string>;
  /** A new dataset of the owner, optionally with a new file (and replica) attached; returns their names. */
  newDataset(withFile?: boolean): Promise<{ dataset: string; file?: string }>;
  newRule(): Promise<string>;
  newHook(): Promise<string>;
  newSubscription(): Promise<string>;
  /** A lifetime exception the owner asked for (WAITING); returns its id. */
  newException(): Promise<string>;
}

export type SampleFn = (fx: MatrixFixtures, caller: Caller) => Sample | Promise<Sample>;

/** Path parameters every route gets unless its sample says otherwise. */
export function defaultParams(fx: MatrixFixtures): Record<string, string> {
  return {
    account: fx.owner,
    scope: fx.scope,
    name: fx.dataset,
    ruleId: fx.ruleId,
    rse: fx.rse,
    expression: fx.rse,
    source: fx.rse,
    destination: fx.rse2,
    scheme: 'file',
    hostname: 'localhost',
    port: '0',
    identity: fx.owner,
    type: 'userpass',
  };
}

const file = (fx: MatrixFixtures) => ({ scope: fx.scope, name: fx.unique('file'), bytes: 1, adler32: '00000002' });
const POSIX = { impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } };

export const SAMPLES: Record<string, SampleFn> = {
  // accounts
  'POST /accounts/{account}': (fx) => ({ params: { account: fx.unique('acct') }, body: { type: 'USER', email: 'matrix@example.org' }, status: 201 }),
  'PUT /accounts/{account}': () => ({ body: { email: 'owner@example.org' } }),
  'DELETE /accounts/{account}': async (fx) => {
    const account = fx.unique('gone');
    await fx.as('admin', 'post', `/accounts/${account}`, { type: 'USER' });
    return { params: { account } };
  },
  'POST /accounts/{account}/attr/{key}': () => ({ params: { key: 'matrix' }, body: { value: 'x' }, status: 201 }),
  'DELETE /accounts/{account}/attr/{key}': async (fx) => {
    const key = fx.unique('attr').replace(/-/g, '_');
    await fx.as('admin', 'post', `/accounts/${fx.owner}/attr/${key}`, { value: 'x' });
    return { params: { key } };
  },
  'POST /accounts/{account}/identities': (fx) => ({ body: { identity: fx.unique('id'), authtype: 'USERPASS', password: 'matrix-secret', email: 'm@example.org' }, status: 201 }),
  'DELETE /accounts/{account}/identities': async (fx) => {
    const identity = fx.unique('id');
    await fx.as('admin', 'post', `/accounts/${fx.owner}/identities`, { identity, authtype: 'USERPASS', password: 'matrix-secret', email: 'm@example.org' });
    return { body: { identity, authtype: 'USERPASS' } };
  },
  'POST /accounts/{account}/limits/local/{rse}': () => ({ body: { bytes: 1_000_000 }, status: 201 }),
  'POST /accounts/{account}/limits/global/{expression}': () => ({ body: { bytes: 1_000_000 }, status: 201 }),
  'POST /accountlimits/local/{account}/{rse}': () => ({ body: { bytes: 1_000_000 }, status: 201 }),
  'POST /accountlimits/{account}/{rse}': () => ({ body: { bytes: 1_000_000 }, status: 201 }),
  'POST /accountlimits/global/{account}/{expression}': () => ({ body: { bytes: 1_000_000 }, status: 201 }),
  'POST /accounts/{account}/scopes/{scope}': (fx) => ({ params: { scope: `user.${fx.unique('s').replace(/-/g, '')}` }, status: 201 }),
  'PUT /identities/{account}/userpass': (fx) => ({ headers: { 'X-Rucio-Username': fx.unique('up'), 'X-Rucio-Password': 'matrix-secret' }, status: 201 }),
  'POST /identities/{account}/userpass': (fx) => ({ headers: { 'X-Rucio-Username': fx.unique('up'), 'X-Rucio-Password': 'matrix-secret' }, status: 201 }),

  // login and credentials
  'GET /auth/userpass': (fx) => ({ headers: { 'X-Rucio-Account': fx.owner, 'X-Rucio-Username': fx.owner, 'X-Rucio-Password': fx.password } }),
  // The matrix's Tarn accepts no OIDC tokens: the route says so to everyone (test/api/oidc-tokens.e2e-spec.ts has one that does).
  'GET /auth/oidc/configuration': () => ({ status: 404 }),
  // Nor has its web UI a login through one (test/api/oidc-web-login.e2e-spec.ts and the web UI's test have).
  'GET /auth/oidc/login': () => ({ status: 404 }),
  'GET /auth/oidc/callback': () => ({ status: 404 }),
  'POST /auth/session': (fx) => ({ body: { account: fx.owner, password: fx.password } }),
  'GET /credentials/signurl': (fx) => ({ query: { rse: fx.s3Rse, svc: 's3', op: 'read', url: fx.s3Url } }),

  // DIDs
  'POST /dids': (fx) => ({ body: [{ scope: fx.scope, name: fx.unique('ds'), type: 'DATASET' }], status: 201 }),
  'POST /dids/attachments': async (fx) => {
    const { dataset } = await fx.newDataset();
    return { body: { attachments: [{ scope: fx.scope, name: dataset, rse: fx.rse, dids: [file(fx)] }] }, status: 201 };
  },
  'POST /dids/bulkdidsmeta': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset, meta: { run: 1 } }] }, status: 201 }),
  'POST /dids/bulkmeta': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }] } }),
  'POST /dids/bulkfiles': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }] } }),
  'POST /dids/sample': (fx) => ({
    body: { input_scope: fx.scope, input_name: fx.dataset, output_scope: fx.scope, output_name: fx.unique('sample'), nbfiles: 1 },
    status: 201,
  }),
  'POST /dids/{scope}/{name}': (fx) => ({ params: { name: fx.unique('ds') }, body: { type: 'DATASET' }, status: 201 }),
  'PUT /dids/{scope}/{name}/status': async (fx) => ({ params: { name: (await fx.newDataset()).dataset }, body: { open: false } }),
  'POST /dids/{scope}/{name}/dids': async (fx) => ({ params: { name: (await fx.newDataset()).dataset }, body: { rse: fx.rse, dids: [file(fx)] }, status: 201 }),
  'DELETE /dids/{scope}/{name}/dids': async (fx) => {
    const { dataset, file: name } = await fx.newDataset(true);
    return { params: { name: dataset }, body: { dids: [{ scope: fx.scope, name }] } };
  },
  'POST /dids/{scope}/{name}/meta': () => ({ body: { meta: { run: 2 } }, status: 201 }),
  'DELETE /dids/{scope}/{name}/meta': async (fx) => {
    const { dataset } = await fx.newDataset();
    await fx.as('owner', 'post', `/dids/${fx.scope}/${dataset}/meta/run`, { value: 7 });
    return { params: { name: dataset }, query: { key: 'run' } };
  },
  'POST /dids/{scope}/{name}/meta/{key}': () => ({ params: { key: 'run' }, body: { value: 3 }, status: 201 }),
  'GET /replicas/{scope}/{name}/datasets': (fx) => ({ params: { name: fx.file } }),
  'GET /dids/{guid}/guid': async (fx) => {
    const guid = randomUUID();
    await fx.as('owner', 'post', '/replicas', { rse: fx.rse, files: [{ ...file(fx), guid }] });
    return { params: { guid } };
  },

  // replicas
  'POST /replicas': (fx) => ({ body: { rse: fx.rse, files: [file(fx)] }, status: 201 }),
  'PUT /replicas': (fx) => ({ body: { rse: fx.rse, files: [{ scope: fx.scope, name: fx.file, state: 'AVAILABLE' }] } }),
  'DELETE /replicas': (fx) => ({ body: { rse: fx.rse, files: [{ scope: fx.scope, name: fx.file }] } }),
  'POST /replicas/list': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }] } }),
  'POST /replicas/bad': async (fx) => {
    const { file: name } = await fx.newDataset(true);
    return { body: { replicas: [{ scope: fx.scope, name, rse: fx.rse }], reason: 'matrix' }, status: 201 };
  },
  'POST /replicas/bad/dids': async (fx) => {
    const { file: name } = await fx.newDataset(true);
    return { body: { rse: fx.rse, dids: [{ scope: fx.scope, name }], reason: 'matrix' }, status: 201 };
  },
  'POST /replicas/suspicious': (fx) => ({ body: { pfns: [fx.filePfn], reason: 'matrix' }, status: 201 }),
  'POST /replicas/datasets_bulk': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }] } }),
  'POST /replicas/tombstone': async (fx) => {
    const { file: name } = await fx.newDataset(true);
    return { body: { replicas: [{ scope: fx.scope, name, rse: fx.rse }] }, status: 201 };
  },
  'POST /replicas/bad/pfns': async (fx) => {
    const { file: name } = await fx.newDataset(true);
    const listed = await fx.as('owner', 'post', '/replicas/list', { dids: [{ scope: fx.scope, name }], all_states: true });
    const pfn = JSON.parse(listed.text.split('\n')[0]).rses[fx.rse][0];
    return { body: { pfns: [pfn], reason: 'matrix', state: 'TEMPORARY_UNAVAILABLE', expires_at: new Date(Date.now() + 3_600_000).toISOString() }, status: 201 };
  },
  'POST /replicas/dids': (fx) => ({ body: { pfns: [fx.filePfn], rse: fx.rse } }),

  // RSEs
  'POST /rses/{rse}': (fx) => ({ params: { rse: fx.unique('RSE').toUpperCase() }, body: {}, status: 201 }),
  'PUT /rses/{rse}': async (fx) => ({ params: { rse: await fx.newRse() }, body: { availability_delete: true }, status: 201 }),
  'DELETE /rses/{rse}': async (fx) => ({ params: { rse: await fx.newRse() } }),
  'POST /rses/{rse}/attr/{key}': () => ({ params: { key: 'matrix' }, body: { value: 'x' }, status: 201 }),
  'DELETE /rses/{rse}/attr/{key}': async (fx) => {
    const rse = await fx.newRse();
    await fx.as('admin', 'post', `/rses/${rse}/attr/matrix`, { value: 'x' });
    return { params: { rse, key: 'matrix' } };
  },
  'POST /rses/{source}/distances/{destination}': async (fx) => ({ params: { destination: await fx.newRse() }, body: { distance: 5 }, status: 201 }),
  'PUT /rses/{source}/distances/{destination}': () => ({ body: { distance: 3 } }),
  'POST /rses/{rse}/protocols/{scheme}': (fx) => ({
    params: { scheme: 'root' },
    body: { hostname: `${fx.unique('h')}.example.org`, port: 1094, prefix: '/data', ...POSIX },
    status: 201,
  }),
  'PUT /rses/{rse}/protocols/{scheme}': (fx) => ({ body: { prefix: fx.unique('/tmp/matrix') } }),
  'PUT /rses/{rse}/protocols/{scheme}/{hostname}': (fx) => ({ body: { prefix: fx.unique('/tmp/matrix') } }),
  'PUT /rses/{rse}/protocols/{scheme}/{hostname}/{port}': (fx) => ({ body: { prefix: fx.unique('/tmp/matrix') } }),
  'DELETE /rses/{rse}/protocols/{scheme}': async (fx) => ({ params: { rse: await fx.newRse() } }),
  'DELETE /rses/{rse}/protocols/{scheme}/{hostname}': async (fx) => ({ params: { rse: await fx.newRse() } }),
  'DELETE /rses/{rse}/protocols/{scheme}/{hostname}/{port}': async (fx) => ({ params: { rse: await fx.newRse() } }),
  'PUT /rses/{rse}/limits': () => ({ body: { name: 'MinFreeSpace', value: 10 } }),
  'DELETE /rses/{rse}/limits': () => ({ body: { name: 'MaxBytes' } }),
  'PUT /rses/{rse}/usage': () => ({ body: { source: 'matrix', used: 1, free: 2 } }),
  'POST /rses/{rse}/qos_policy/{policy}': (fx) => ({ params: { policy: fx.unique('Q') }, status: 201 }),
  'DELETE /rses/{rse}/qos_policy/{policy}': async (fx) => {
    const policy = fx.unique('Q');
    await fx.as('admin', 'post', `/rses/${fx.rse}/qos_policy/${policy}`);
    return { params: { policy } };
  },
  'GET /rses/{rse}/lfns2pfns': (fx) => ({ query: { lfn: `${fx.scope}:${fx.file}` } }),

  // rules
  'POST /rules': async (fx) => ({ body: { dids: [{ scope: fx.scope, name: (await fx.newDataset()).dataset }], copies: 1, rse_expression: fx.rse }, status: 201 }),
  'PUT /rules/{ruleId}': () => ({ body: { options: { comment: 'matrix' } } }),
  // lifetime exceptions
  'POST /lifetime_exceptions': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }], comments: 'the matrix' }, status: 201 }),
  'GET /lifetime_exceptions/{exceptionId}': async (fx) => ({ params: { exceptionId: await fx.newException() } }),
  'PUT /lifetime_exceptions/{exceptionId}': async (fx) => ({ params: { exceptionId: await fx.newException() }, body: { state: 'APPROVED' } }),
  'DELETE /rules/{ruleId}': async (fx) => ({ params: { ruleId: await fx.newRule() } }),
  'POST /rules/{ruleId}/move': async (fx) => ({ params: { ruleId: await fx.newRule() }, body: { rse_expression: fx.rse2 }, status: 201 }),

  // runtime configuration
  'POST /import': (fx) => ({ body: { rses: { [fx.unique('RSE').toUpperCase()]: { rse_type: 'DISK', attributes: { tier: 2 } } } }, status: 201 }),
  'POST /config': (fx) => ({ body: { [fx.unique('section')]: { knob: 1 } }, status: 201 }),
  'GET /config/{section}': async (fx) => {
    const section = fx.unique('section');
    await fx.as('admin', 'post', '/config', { [section]: { knob: 1 } });
    return { params: { section } };
  },
  'DELETE /config/{section}': async (fx) => {
    const section = fx.unique('section');
    await fx.as('admin', 'post', '/config', { [section]: { knob: 1 } });
    return { params: { section } };
  },
  'GET /config/{section}/{option}': async (fx) => {
    const section = fx.unique('section');
    await fx.as('admin', 'post', '/config', { [section]: { knob: 1 } });
    return { params: { section, option: 'knob' } };
  },
  'DELETE /config/{section}/{option}': async (fx) => {
    const section = fx.unique('section');
    await fx.as('admin', 'post', '/config', { [section]: { knob: 1 } });
    return { params: { section, option: 'knob' } };
  },
  'PUT /config/{section}/{option}/{value}': (fx) => ({ params: { section: fx.unique('section'), option: 'knob', value: '7' }, status: 201 }),

  // dataset locks
  'GET /locks/{rse}': () => ({ query: { did_type: 'dataset' } }),
  'GET /locks/{scope}/{name}': () => ({ query: { did_type: 'dataset' } }),
  'POST /locks/bulk_locks_for_dids': (fx) => ({ body: { dids: [{ scope: fx.scope, name: fx.dataset }] } }),

  // scopes
  'POST /scopes/{account}/{scope}': (fx) => ({ params: { scope: `user.${fx.unique('s').replace(/-/g, '')}` }, status: 201 }),
  'PUT /scopes/{scope}/restricted': () => ({ body: { restricted: true } }),
  'PUT /scopes/{account}/{scope}': async (fx) => {
    const scope = `user.${fx.unique('s').replace(/-/g, '')}`;
    await fx.as('admin', 'post', `/scopes/${fx.owner}/${scope}`);
    return { params: { account: fx.spare, scope }, status: 201 };
  },
  'POST /scopes/{scope}/grants/{account}': (fx) => ({ params: { account: fx.spare }, status: 201 }),
  'DELETE /scopes/{scope}/grants/{account}': (fx) => ({ params: { account: fx.spare } }),

  // subscriptions
  'GET /subscriptions/Id/{id}': async (fx) => {
    const listed = await fx.as('owner', 'get', `/subscriptions/${fx.owner}/${fx.subscription}`);
    return { params: { id: JSON.parse(listed.text.trim().split('\n')[0]).id } };
  },
  // The owner's dataset has no transfer on its way: an administrator is let in and told so.
  'GET /requests/{scope}/{name}/{rse}': () => ({ status: 404 }),
  'GET /identities/accounts': (fx) => ({ query: { identity_key: fx.owner, type: 'userpass' } }),
  'GET /subscriptions/name/{name}': (fx) => ({ params: { name: fx.subscription } }),
  'GET /subscriptions/{account}/{name}': (fx) => ({ params: { name: fx.subscription } }),
  'GET /subscriptions/{account}/{name}/rules': (fx) => ({ params: { name: fx.subscription } }),
  'GET /subscriptions/{account}/{name}/rules/states': (fx) => ({ params: { name: fx.subscription } }),
  'POST /subscriptions/{account}/{name}': (fx) => ({
    params: { name: fx.unique('sub') },
    body: { options: { filter: { scope: [fx.scope] }, replication_rules: [{ copies: 1, rse_expression: fx.rse }], comments: 'matrix' } },
    status: 201,
  }),
  'PUT /subscriptions/{account}/{name}': (fx) => ({ params: { name: fx.subscription }, body: { options: { comments: 'changed' } }, status: 201 }),
  'DELETE /subscriptions/{account}/{name}': async (fx) => ({ params: { name: await fx.newSubscription() } }),

  // ingestion hooks
  'POST /hooks': (fx) => ({
    body: { name: fx.unique('hook'), schedule: '0 2 * * *', source: { rse: fx.rse, prefix: `${scopeDirectory(fx.scope)}incoming` }, target: { scope: fx.scope, dataset: 'daq.{yyyy}' } },
    status: 201,
  }),
  'GET /hooks/{name}': (fx) => ({ params: { name: fx.hook } }),
  'PUT /hooks/{name}': (fx) => ({ params: { name: fx.hook }, body: { comment: 'matrix' } }),
  'DELETE /hooks/{name}': async (fx) => ({ params: { name: await fx.newHook() } }),
  'POST /hooks/{name}/run': (fx) => ({ params: { name: fx.hook }, status: 202 }),
  'GET /hooks/{name}/runs': (fx) => ({ params: { name: fx.hook } }),
  'GET /hooks/{name}/runs/{runId}': (fx) => ({ params: { name: fx.hook, runId: fx.hookRun } }),

  // the stock clients' traces
  'POST /traces': (fx) => ({ body: { eventType: 'download', clientState: 'DONE', scope: fx.scope, filename: fx.file }, status: 201 }),
};
