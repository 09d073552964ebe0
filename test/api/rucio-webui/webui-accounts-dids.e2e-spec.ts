import { RuleService } from '@tarn/core';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import type { OpenAPIObject, OperationObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { DID_META_KEYS, RUCIO_DATE, WEB_UI_REQUESTS, type WebUiRequest, type WebUiRequestName } from './webui-requests.js';
import { webUiWorld, type WebUiWorld } from './webui-world.js';

type Row = Record<string, unknown>;
const ACCOUNT_ROWS: WebUiRequestName[] = ['login', 'accountInfo', 'accountAttributes', 'accountLimits', 'accountUsage', 'identityAccounts'];
const DID_ROWS = Object.keys(WEB_UI_REQUESTS).filter((name) => name.startsWith('did')) as WebUiRequestName[];

/** The web UI's login, account pages and DID pages, each request sent as its gateway sends it (see webui-requests.ts). */
describe("Rucio's web UI: login, accounts and DIDs", () => {
  let w: WebUiWorld;
  let send: WebUiWorld['ui']['send'];

  beforeAll(async () => {
    w = await webUiWorld();
    send = w.ui.send;
  });

  afterAll(async () => {
    await w?.close();
  });

  describe('login and accounts', () => {
    it('logs in with userpass headers and reads the token, its account and its expiry from the answer headers', async () => {
      const headers = { 'X-Rucio-AppID': 'webui', 'X-Rucio-Username': 'jdoe', 'X-Rucio-Password': 'webui-jdoe', 'X-Rucio-Account': 'jdoe', 'X-Rucio-VO': 'def' };
      const named = await send('login', { headers });
      expect(named.status).toBe(200);
      expect(named.headers.get('X-Rucio-Auth-Token')).toEqual(expect.any(String));
      expect(named.headers.get('X-Rucio-Auth-Account')).toBe('jdoe');
      expect(named.headers.get('X-Rucio-Auth-Token-Expires')).toMatch(RUCIO_DATE);
      const { 'X-Rucio-Account': _account, ...unnamed } = headers;
      expect((await send('login', { headers: unnamed })).headers.get('X-Rucio-Auth-Account')).toBe('jdoe');
      expect((await send('login', { headers: { ...headers, 'X-Rucio-Password': 'wrong' } })).status).toBe(401);
    });

    it("shows an account's information with Rucio's keys and dates", async () => {
      const info = await send('accountInfo', { token: w.tokens.jdoe, path: { account: 'jdoe' } });
      expect(info.status).toBe(200);
      const value = info.value as Row;
      expect(value).toMatchObject({ account: 'jdoe', account_type: 'USER', status: 'ACTIVE', email: 'jdoe@example.org', deleted_at: null, suspended_at: null });
      expect(value.created_at).toMatch(RUCIO_DATE);
      expect(value.updated_at).toMatch(RUCIO_DATE);
    });

    it("lists an account's attributes as [{key, value}], which tells the UI who is an administrator", async () => {
      const root = await send('accountAttributes', { token: w.tokens.root, path: { account: 'root' } });
      expect(root.value).toEqual([{ key: 'admin', value: true }]);
      expect((await send('accountAttributes', { token: w.tokens.jdoe, path: { account: 'jdoe' } })).value).toEqual([]);
    });

    it('shows the limits of the account itself (and to administrators), as {RSE: bytes}; another account is refused', async () => {
      expect((await send('accountLimits', { token: w.tokens.jdoe, path: { account: 'jdoe' } })).value).toEqual({ [w.dest.rse]: 1e12 });
      expect((await send('accountLimits', { token: w.tokens.root, path: { account: 'jdoe' } })).value).toEqual({ [w.dest.rse]: 1e12 });
      expect((await send('accountLimits', { token: w.tokens.mallory, path: { account: 'jdoe' } })).status).toBe(401);
    });

    it('streams the usage per RSE as JSON the UI parses: where no limit is set bytes_limit is 0, as Rucio answers, never Infinity', async () => {
      await w.db.dataSource.query(`INSERT INTO account_usage (account, rse_id, files, bytes) VALUES ('jdoe', $1, 2, 2000), ('jdoe', $2, 1, 500)`, [
        w.source.id,
        w.dest.id,
      ]);
      const usage = await send('accountUsage', { token: w.tokens.jdoe, path: { account: 'jdoe' } });
      expect(usage.status).toBe(200);
      expect(usage.text).not.toMatch(/Infinity|NaN/);
      expect(usage.value).toEqual(
        expect.arrayContaining([
          { rse_id: w.source.id, rse: w.source.rse, files: 2, bytes: 2000, bytes_limit: 0, bytes_remaining: -2000 },
          { rse_id: w.dest.id, rse: w.dest.rse, files: 1, bytes: 500, bytes_limit: 1e12, bytes_remaining: 1e12 - 500 },
        ]),
      );
      expect(usage.value).toHaveLength(2);
      expect((await send('accountUsage', { token: w.tokens.mallory, path: { account: 'jdoe' } })).status).toBe(401);
    });

    it('names the accounts of an identity given in the query, to administrators only', async () => {
      const query = { identity_key: 'jdoe', type: 'userpass' };
      expect((await send('identityAccounts', { token: w.tokens.root, query })).value).toEqual(['jdoe']);
      expect((await send('identityAccounts', { token: w.tokens.jdoe, query })).value).toMatchObject({ ExceptionClass: 'AccessDenied' });
      expect((await send('identityAccounts', { token: w.tokens.root, query: { type: 'userpass' } })).status).toBe(400);
    });

    it('sent every account request of the table', () => {
      expect(ACCOUNT_ROWS.filter((name) => !w.ui.sent.has(name))).toEqual([]);
    });
  });

  describe('DIDs', () => {
    const did = (name: string) => ({ scope: w.scope, name });

    it('shows a dataset as the DID page does, resolved to the depth it asks (dynamic_depth=File or Dataset)', async () => {
      for (const depth of ['File', 'Dataset']) {
        const shown = await send('didGet', { token: w.tokens.jdoe, path: did(w.dataset.name), query: { dynamic_depth: depth } });
        expect(shown.status).toBe(200);
        expect(shown.value).toMatchObject({ scope: w.scope, name: w.dataset.name, type: 'DATASET', account: 'jdoe', bytes: 2000, length: 2, open: true, monotonic: false });
      }
      const status = await send('didStatusGet', { token: w.tokens.jdoe, path: did(w.dataset.name) });
      expect(status.value).toMatchObject({ type: 'DATASET', account: 'jdoe', open: true, monotonic: false, bytes: 2000, length: 2 });
      expect((await send('didGet', { token: w.tokens.jdoe, path: did('no.such.did') })).status).toBe(404);
    });

    it("answers a DID's metadata (default plugin) with every column Rucio returns there", async () => {
      const meta = await send('didMeta', { token: w.tokens.jdoe, path: did(w.dataset.files[0].name) });
      expect(meta.status).toBe(200);
      const value = meta.value as Row;
      expect(Object.keys(value).sort()).toEqual(expect.arrayContaining([...DID_META_KEYS].sort()));
      expect(value).toMatchObject({
        scope: w.scope, name: w.dataset.files[0].name, account: 'jdoe', did_type: 'FILE', availability: 'AVAILABLE', bytes: 1000,
        adler32: w.dataset.files[0].adler32, md5: w.dataset.files[0].md5, is_open: null, hidden: false, obsolete: false, suppressed: false,
      });
      expect(value.created_at).toMatch(RUCIO_DATE);
      expect(value.updated_at).toMatch(RUCIO_DATE);
    });

    it('creates a dataset and a container from the DID form ("Created"), and says 409 for a name taken', async () => {
      for (const [name, type] of [['webui.ds', 'Dataset'], ['webui.cont', 'Container']]) {
        const created = await send('didCreate', { token: w.tokens.jdoe, path: did(name), body: { scope: w.scope, name, type } });
        expect([created.status, created.value]).toEqual([201, 'Created']);
      }
      expect((await send('didCreate', { token: w.tokens.jdoe, path: did('webui.ds'), body: { scope: w.scope, name: 'webui.ds', type: 'Dataset' } })).status).toBe(409);
      const foreign = await send('didCreate', { token: w.tokens.mallory, path: did('webui.x'), body: { scope: w.scope, name: 'webui.x', type: 'Dataset' } });
      expect(foreign.status).toBe(401);
    });

    it('attaches DIDs ("Created"), says 409 when already attached, and lists contents and parents as NDJSON {scope, name, type}', async () => {
      const body = { scope: w.scope, name: 'webui.cont', dids: [did('webui.ds'), did(w.dataset.name)] };
      const attached = await send('didAttach', { token: w.tokens.jdoe, path: did('webui.cont'), body });
      expect([attached.status, attached.value]).toEqual([201, 'Created']);
      expect((await send('didAttach', { token: w.tokens.jdoe, path: did('webui.cont'), body })).status).toBe(409);
      expect((await send('didAttach', { token: w.tokens.mallory, path: did('webui.cont'), body: { ...body, dids: [did('webui.ds')] } })).status).toBe(401);
      const contents = await send('didContents', { token: w.tokens.jdoe, path: did('webui.cont') });
      expect(contents.value).toEqual(
        expect.arrayContaining([expect.objectContaining({ ...did('webui.ds'), type: 'DATASET' }), expect.objectContaining({ ...did(w.dataset.name), type: 'DATASET' })]),
      );
      const parents = await send('didParents', { token: w.tokens.jdoe, path: did(w.dataset.name) });
      expect(parents.value).toEqual([expect.objectContaining({ ...did('webui.cont'), type: 'CONTAINER' })]);
    });

    it('closes a dataset with PUT status {open: false}, and says 409 when it is already closed', async () => {
      const closed = await send('didStatusPut', { token: w.tokens.jdoe, path: did('webui.ds'), body: { open: false } });
      expect(closed.status).toBe(200);
      expect((await send('didStatusGet', { token: w.tokens.jdoe, path: did('webui.ds') })).value).toMatchObject({ open: false });
      expect((await send('didStatusPut', { token: w.tokens.jdoe, path: did('webui.ds'), body: { open: false } })).status).toBe(409);
      expect((await send('didStatusPut', { token: w.tokens.mallory, path: did(w.dataset.name), body: { open: false } })).status).toBe(401);
    });

    it('searches a scope by name and type as a stream of names', async () => {
      const found = await send('didSearch', { token: w.tokens.jdoe, path: { scope: w.scope }, query: { name: 'webui.*', type: 'dataset' } });
      expect(found.status).toBe(200);
      expect(found.value).toEqual(['webui.ds']);
      const all = await send('didSearch', { token: w.tokens.jdoe, path: { scope: w.scope }, query: { name: '*', type: 'all' } });
      expect(all.value).toEqual(expect.arrayContaining(['webui.ds', 'webui.cont', w.dataset.name]));
    });

    it('lists the rules of a DID as NDJSON with the keys the DID page reads', async () => {
      expect((await send('didRules', { token: w.tokens.jdoe, path: did(w.dataset.name) })).value).toEqual([]);
      const [id] = await w.api.app.get(RuleService).addRules({ account: 'jdoe', admin: false }, ruleSpec(did(w.dataset.name), w.dest.rse));
      const rules = await send('didRules', { token: w.tokens.jdoe, path: did(w.dataset.name) });
      expect(rules.status).toBe(200);
      expect(rules.value).toEqual([expect.objectContaining({ id, name: w.dataset.name, state: 'REPLICATING', account: 'jdoe', subscription_id: null })]);
      expect((rules.value as Row[])[0].updated_at).toMatch(RUCIO_DATE);
    });

    it('makes a sample dataset of n files of a dataset ("Created")', async () => {
      const body = { input_scope: w.scope, input_name: w.dataset.name, output_scope: w.scope, output_name: 'webui.sample', nbfiles: 1 };
      const sampled = await send('didSample', { token: w.tokens.jdoe, body });
      expect([sampled.status, sampled.value]).toEqual([201, 'Created']);
      expect((await send('didContents', { token: w.tokens.jdoe, path: did('webui.sample') })).value).toHaveLength(1);
      expect((await send('didSample', { token: w.tokens.mallory, body: { ...body, output_name: 'webui.sample2' } })).status).toBe(401);
    });

    it('sent every DID request of the table, and every answer had the Content-Type Rucio gives it', () => {
      expect(DID_ROWS.filter((name) => !w.ui.sent.has(name))).toEqual([]);
      expect(w.ui.wrongTypes).toEqual([]);
    });
  });

  describe('the OpenAPI document', () => {
    let document: OpenAPIObject;
    const resolve = (schema: SchemaObject | ReferenceObject | undefined): SchemaObject | undefined =>
      schema && '$ref' in schema ? (document.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] as SchemaObject | undefined) : schema;
    /** The operation of a request of the table: its path with any parameter names, without a trailing slash. */
    const operationOf = (spec: WebUiRequest): OperationObject | undefined => {
      const pattern = new RegExp(`^${spec.path.replace(/\/$/, '').replace(/\{\w+\}/g, '\\{[^}]+\\}')}$`);
      const path = Object.keys(document.paths).find((p) => pattern.test(p));
      return path === undefined ? undefined : (document.paths[path] as Record<string, OperationObject>)[spec.method.toLowerCase()];
    };

    beforeAll(async () => {
      document = (await (await fetch(`${w.api.url}/api-docs/json`)).json()) as OpenAPIObject;
    });

    it('has every request of the web UI, with a schema for what it answers and for each body key it sends', () => {
      const problems: string[] = [];
      for (const [name, spec] of Object.entries(WEB_UI_REQUESTS) as [string, WebUiRequest][]) {
        const operation = operationOf(spec);
        if (!operation) {
          problems.push(`${name}: no operation ${spec.method} ${spec.path}`);
          continue;
        }
        const [, success] = (Object.entries(operation.responses) as [string, ResponseObject][]).find(([status]) => /^2\d\d$/.test(status)) ?? [];
        const answers = spec.served ?? spec.answer;
        const createdText = spec.answer === 'text' && spec.reads.includes('"Created"');
        const mediaType = createdText ? 'text/html' : { json: 'application/json', ndjson: 'application/x-json-stream' }[answers as string];
        if (!success) problems.push(`${name}: no success answer`);
        else if (spec.answer === 'headers') {
          for (const header of ['X-Rucio-Auth-Token', 'X-Rucio-Auth-Account', 'X-Rucio-Auth-Token-Expires']) if (!success.headers?.[header]) problems.push(`${name}: header ${header} not described`);
        } else if (mediaType && !resolve(success.content?.[mediaType]?.schema)) problems.push(`${name}: no ${mediaType} schema of its answer`);
        if (spec.body && spec.body.length > 0) {
          const body = resolve((operation.requestBody as { content?: Record<string, { schema?: SchemaObject }> } | undefined)?.content?.['application/json']?.schema);
          const described = Object.keys(body?.properties ?? {});
          const missing = body?.additionalProperties ? [] : spec.body.filter((key) => !described.includes(key));
          if (!body) problems.push(`${name}: no body schema`);
          else if (missing.length > 0) problems.push(`${name}: body keys not described: ${missing.join(', ')}`);
        }
      }
      expect(problems).toEqual([]);
    });
  });
});
