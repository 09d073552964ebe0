import request from 'supertest';
import { AccountLimitService, AuthenticationService } from '@tarn/core';
import { RuleService } from '@tarn/core';
import { rucioClient, startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';

const PASSWORD = 'secret-did-tests';
const RFC1123 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC$/;

function ndjson(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

const file = (name: string, bytes = 100) => ({ scope: 'user.jdoe', name, type: 'FILE', bytes, adler32: '0a0b0c0d', md5: '0123456789abcdef0123456789abcdef' });

describe('DID routes', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;

  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown) => {
    const r = request(api.url)[method](path).set('X-Rucio-Auth-Token', token);
    return body === undefined ? r : r.send(JSON.stringify(body));
  };
  const lines = async (path: string) => {
    const response = await call('get', path).expect(200);
    expect(response.headers['content-type']).toBe('application/x-json-stream');
    return ndjson(response.text) as Record<string, unknown>[];
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createScope(db.dataSource, { scope: 'user.jdoe', account: 'jdoe' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('registers a dataset with statuses, meta and lifetime, and shows it as Rucio does', async () => {
    await call('post', '/dids/user.jdoe/ds.one', { type: 'DATASET', statuses: { monotonic: true }, meta: { run_number: 4711 }, lifetime: 3600 })
      .expect(201);
    const response = await call('get', '/dids/user.jdoe/ds.one').expect(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toMatchObject({ scope: 'user.jdoe', name: 'ds.one', type: 'DATASET', account: 'jdoe', open: true, monotonic: true, length: 0, bytes: 0 });
    expect(response.body.expired_at).toMatch(RFC1123);
    expect(new Date(response.body.expired_at.replace('UTC', 'GMT')).getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect((await call('get', '/dids/user.jdoe/ds.one/status').expect(200)).body.type).toBe('DATASET');
    const again = await call('post', '/dids/user.jdoe/ds.one', { type: 'DATASET' }).expect(409);
    expect(again.body.ExceptionClass).toBe('DataIdentifierAlreadyExists');
  });

  it('registers many DIDs at once, attaches, lists content, files and parents, detaches', async () => {
    await call('post', '/dids', [file('f.1'), file('f.2', 200), file('f.3', 300), { scope: 'user.jdoe', name: 'cont.one', type: 'CONTAINER' }]).expect(201);
    await call('post', '/dids/user.jdoe/ds.one/dids', { dids: [{ scope: 'user.jdoe', name: 'f.1' }, { scope: 'user.jdoe', name: 'f.2', bytes: 200 }] }).expect(201);
    await call('post', '/dids/attachments', {
      attachments: [{ scope: 'user.jdoe', name: 'cont.one', dids: [{ scope: 'user.jdoe', name: 'ds.one' }] }],
      ignore_duplicate: false,
    }).expect(201);

    expect(await lines('/dids/user.jdoe/ds.one/dids')).toEqual([
      { scope: 'user.jdoe', name: 'f.1', type: 'FILE', bytes: 100, adler32: '0a0b0c0d', md5: '0123456789abcdef0123456789abcdef' },
      { scope: 'user.jdoe', name: 'f.2', type: 'FILE', bytes: 200, adler32: '0a0b0c0d', md5: '0123456789abcdef0123456789abcdef' },
    ]);
    expect((await lines('/dids/user.jdoe/cont.one/files')).map((f) => [f.name, f.bytes])).toEqual([
      ['f.1', 100],
      ['f.2', 200],
    ]);
    expect(await lines('/dids/user.jdoe/f.1/parents')).toEqual([{ scope: 'user.jdoe', name: 'ds.one', type: 'DATASET' }]);
    expect((await call('get', '/dids/user.jdoe/cont.one?dynamic_depth=FILE').expect(200)).body).toMatchObject({ type: 'CONTAINER', length: 2, bytes: 300 });
    const dup = await call('post', '/dids/user.jdoe/ds.one/dids', { dids: [{ scope: 'user.jdoe', name: 'f.1' }] }).expect(409);
    expect(dup.body.ExceptionClass).toBe('DuplicateContent');

    await call('delete', '/dids/user.jdoe/ds.one/dids', { dids: [{ scope: 'user.jdoe', name: 'f.2' }] }).expect(200);
    expect((await lines('/dids/user.jdoe/ds.one/dids')).map((d) => d.name)).toEqual(['f.1']);
    const missing = await call('delete', '/dids/user.jdoe/ds.one/dids', { dids: [{ scope: 'user.jdoe', name: 'f.2' }] }).expect(404);
    expect(missing.body.ExceptionClass).toBe('DataIdentifierNotFound');
  });

  it('registers more DIDs than one statement carries, all or none, with their metadata', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `bulk.${String(i).padStart(4, '0')}`);
    await call('post', '/dids', [{ scope: 'user.jdoe', name: names[2100], type: 'DATASET' }]).expect(201);
    const refused = await call('post', '/dids', names.map((name, i) => ({ scope: 'user.jdoe', name, type: 'DATASET', meta: { run: i } }))).expect(409);
    expect(refused.body.ExceptionMessage).toContain(`user.jdoe:${names[2100]}`);
    await call('get', `/dids/user.jdoe/${names[0]}`).expect(404);
    await call('get', `/dids/user.jdoe/${names[1999]}`).expect(404);
    const fresh = names.filter((_, i) => i !== 2100);
    await call('post', '/dids', fresh.map((name, i) => ({ scope: 'user.jdoe', name, type: 'DATASET', meta: { run: i } }))).expect(201);
    for (const i of [0, 999, 1000, 2498]) {
      expect((await call('get', `/dids/user.jdoe/${fresh[i]}/meta?plugin=JSON`).expect(200)).body.run).toBe(i);
    }
  });

  it('closes a dataset, which then refuses new content', async () => {
    await call('post', '/dids/user.jdoe/ds.closed', { type: 'DATASET' }).expect(201);
    await call('put', '/dids/user.jdoe/ds.closed/status', { open: false }).expect(200);
    expect((await call('get', '/dids/user.jdoe/ds.closed').expect(200)).body.open).toBe(false);
    const refused = await call('post', '/dids/user.jdoe/ds.closed/dids', { dids: [{ scope: 'user.jdoe', name: 'f.3' }] });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.ExceptionClass).toBe('UnsupportedOperation');
    const reopen = await call('put', '/dids/user.jdoe/ds.closed/status', { open: true });
    expect(reopen.status).toBe(401);
    expect(reopen.body.ExceptionClass).toBe('AccessDenied');
  });

  it('sets, reads and deletes metadata; lifetime through metadata sets the expiry', async () => {
    await call('post', '/dids/user.jdoe/ds.one/meta/stream', { value: 'physics' }).expect(201);
    await call('post', '/dids/user.jdoe/ds.one/meta', { meta: { quality: 'good', events_total: 12 } }).expect(201);
    expect((await call('get', '/dids/user.jdoe/ds.one/meta?plugin=JSON').expect(200)).body).toEqual({
      run_number: 4711,
      stream: 'physics',
      quality: 'good',
      events_total: 12,
    });
    const columns = (await call('get', '/dids/user.jdoe/ds.one/meta').expect(200)).body;
    expect(columns).toMatchObject({ scope: 'user.jdoe', name: 'ds.one', did_type: 'DATASET', is_open: true, account: 'jdoe' });
    expect(columns.stream).toBeUndefined();
    expect((await call('get', '/dids/user.jdoe/ds.one/meta?plugin=ALL').expect(200)).body).toMatchObject({ did_type: 'DATASET', stream: 'physics' });
    await call('delete', '/dids/user.jdoe/ds.one/meta?key=quality').expect(200);
    const gone = await call('delete', '/dids/user.jdoe/ds.one/meta?key=quality').expect(404);
    expect(gone.body.ExceptionClass).toBe('KeyNotFound');
    await call('post', '/dids/user.jdoe/f.3/meta/lifetime', { value: 60 }).expect(201);
    const expiry = (await call('get', '/dids/user.jdoe/f.3').expect(200)).body.expired_at;
    expect(new Date(expiry.replace('UTC', 'GMT')).getTime() - Date.now()).toBeLessThan(61_000);
    const plugin = await call('get', '/dids/user.jdoe/ds.one/meta?plugin=NOPE').expect(400);
    expect(plugin.body.ExceptionClass).toBe('UnsupportedMetadataPlugin');
  });

  it('sets and reads metadata of many DIDs at once', async () => {
    await call('post', '/dids/bulkdidsmeta', {
      dids: [
        { scope: 'user.jdoe', name: 'f.1', meta: { calib: 1 } },
        { scope: 'user.jdoe', name: 'f.2', meta: { calib: 2 } },
      ],
    }).expect(201);
    const dids = [{ scope: 'user.jdoe', name: 'f.1' }, { scope: 'user.jdoe', name: 'no.such.file' }, { scope: 'user.jdoe', name: 'f.2' }];
    const response = await call('post', '/dids/bulkmeta', { dids, plugin: 'JSON' }).expect(200);
    expect(ndjson(response.text)).toEqual([
      { scope: 'user.jdoe', name: 'f.1', calib: 1 },
      { scope: 'user.jdoe', name: 'f.2', calib: 2 },
    ]);
    // By default Rucio answers the DID columns, every one of them (eol_at too); DIDs that do not exist are left out.
    const columns = ndjson((await call('post', '/dids/bulkmeta', { dids }).expect(200)).text) as Record<string, unknown>[];
    expect(columns.map((c: Record<string, unknown>) => c.name)).toEqual(['f.1', 'f.2']);
    expect(Object.keys(columns[0])).toEqual(expect.arrayContaining(['did_type', 'eol_at', 'is_archive', 'access_cnt', 'guid', 'bytes', 'adler32']));
    const files = await call('post', '/dids/bulkfiles', { dids: [{ scope: 'user.jdoe', name: 'ds.one' }] }).expect(200);
    expect(ndjson(files.text)).toEqual([expect.objectContaining({ parent_scope: 'user.jdoe', parent_name: 'ds.one', name: 'f.1', bytes: 100 })]);
  });

  it('searches a scope with the filters the stock client sends (a Python literal in the query string)', async () => {
    const filters = encodeURIComponent("[{'run_number.gte': 4700, 'name': 'ds*'}]");
    expect(await lines(`/dids/user.jdoe/dids/search?type=collection&filters=${filters}&long=True&recursive=False`)).toEqual([
      { scope: 'user.jdoe', name: 'ds.one', did_type: 'DATASET', bytes: 100, length: 1 },
    ]);
    const names = await lines(`/dids/user.jdoe/dids/search?type=all&filters=${encodeURIComponent("[{'name': 'f.*'}]")}&long=False`);
    expect(names).toEqual(['f.1', 'f.2', 'f.3']);
    expect(await lines('/dids/user.jdoe/dids/search?type=file&name=f.2')).toEqual(['f.2']);
    // Rucio's scope_list: without a name, the DIDs attached to no collection; recursive, everything below them too.
    const scoped = await lines('/dids/user.jdoe/');
    expect(scoped.map((d) => `${d.name}:${d.type}`)).toEqual(expect.arrayContaining(['cont.one:CONTAINER']));
    expect(scoped.map((d) => d.name)).not.toContain('ds.one');
    const tree = await lines('/dids/user.jdoe/?name=cont.one&recursive=True');
    expect(tree.map((d) => [d.name, d.level, (d.parent as { name: string } | null)?.name ?? null])).toEqual([
      ['cont.one', 0, null],
      ['ds.one', 1, 'cont.one'],
      ['f.1', 2, 'ds.one'],
    ]);
  });

  it('handles DID names with slashes, sent encoded (as the client does) or raw', async () => {
    await call('post', '/dids/user.jdoe/run%2F2024%2Fraw', { type: 'DATASET' }).expect(201);
    expect((await call('get', '/dids/user.jdoe/run/2024/raw').expect(200)).body).toMatchObject({ name: 'run/2024/raw', type: 'DATASET' });
    await call('post', '/dids/user.jdoe/run/2024/raw/dids', { dids: [{ scope: 'user.jdoe', name: 'f.3' }] }).expect(201);
    expect((await lines('/dids/user.jdoe/run%2F2024%2Fraw/dids')).map((d) => d.name)).toEqual(['f.3']);
    await call('post', '/dids/user.jdoe/run/2024/raw/meta/detector', { value: 'ECAL' }).expect(201);
    expect((await call('get', '/dids/user.jdoe/run/2024/raw/meta?plugin=JSON').expect(200)).body).toEqual({ detector: 'ECAL' });
    expect(await lines('/dids/user.jdoe/f.3/parents')).toEqual([{ scope: 'user.jdoe', name: 'run/2024/raw', type: 'DATASET' }]);
  });

  it('lists the rules on a DID and the rules protecting a file', async () => {
    const rse = await createRse(db.dataSource, { rse: 'DID_RULES_RSE' });
    await createRse(db.dataSource, { rse: 'DID_RULES_OTHER' });
    await api.app.get(RuleService).addRules({ account: 'root', admin: true }, {
      dids: [{ scope: 'user.jdoe', name: 'ds.one' }],
      account: 'jdoe',
      copies: 1,
      rseExpression: rse.rse,
      ignoreAccountLimit: true,
    });
    const rules = await lines('/dids/user.jdoe/ds.one/rules');
    expect(rules).toEqual([
      expect.objectContaining({ scope: 'user.jdoe', name: 'ds.one', did_type: 'DATASET', rse_expression: 'DID_RULES_RSE', copies: 1, grouping: 'DATASET', account: 'jdoe' }),
    ]);
    expect(['OK', 'REPLICATING', 'STUCK']).toContain(rules[0].state);
    expect(rules[0].created_at).toMatch(RFC1123);
    expect((await lines('/dids/user.jdoe/f.1/associated_rules')).map((r) => r.id)).toEqual([rules[0].id]);
    expect(await lines('/dids/user.jdoe/f.1/rules')).toEqual([]);
  });

  it('creates the rules given with a new DID (add_did with rules)', async () => {
    await api.app.get(AccountLimitService).setRseLimit({ account: 'root', admin: true }, 'jdoe', 'DID_RULES_RSE', 1e12);
    await call('post', '/dids/user.jdoe/ds.ruled', { type: 'DATASET', rules: [{ copies: 1, rse_expression: 'DID_RULES_RSE', lifetime: 3600, comment: 'keep' }] })
      .expect(201);
    const [rule] = await lines('/dids/user.jdoe/ds.ruled/rules');
    expect(rule).toMatchObject({ account: 'jdoe', rse_expression: 'DID_RULES_RSE', copies: 1, comments: 'keep' });
    expect(rule.expires_at).toMatch(RFC1123);
  });

  it('registers a dataset with its files and their replicas on an RSE (add_did with rse and dids)', async () => {
    await createRse(db.dataSource, { rse: 'DID_UPLOAD_RSE' });
    await call('post', '/dids/user.jdoe/ds.with.files', {
      type: 'DATASET',
      rse: 'DID_UPLOAD_RSE',
      dids: [{ scope: 'user.jdoe', name: 'new.f.1', bytes: 10, adler32: '00000001' }],
    }).expect(201);
    expect(await lines('/dids/user.jdoe/ds.with.files/dids')).toEqual([expect.objectContaining({ name: 'new.f.1', type: 'FILE', bytes: 10 })]);
    expect(await passQueuedVerifications(db.dataSource)).toBe(1); // as the replica-registrar does once the storage has the file
    const replicas = await call('post', '/replicas/list', { dids: [{ scope: 'user.jdoe', name: 'new.f.1' }] }).expect(200);
    expect((ndjson(replicas.text)[0] as { states: unknown }).states).toEqual({ DID_UPLOAD_RSE: 'AVAILABLE' });
  });

  it('serves the stock rucio CLI: did add, content add/list, metadata set/list, update --close, show', async () => {
    const cli = await rucioClient(api.url, 'jdoe', PASSWORD);
    expect((await cli.run('rucio', ['did', 'add', '--type', 'dataset', '--monotonic', 'user.jdoe:cli.ds'])).stdout).toContain('Added user.jdoe:cli.ds');
    await cli.run('rucio', ['did', 'content', 'add', '--to-did', 'user.jdoe:cli.ds', 'user.jdoe:f.1', 'user.jdoe:f.2']);
    const content = (await cli.run('rucio', ['did', 'content', 'list', '--short', 'user.jdoe:cli.ds'])).stdout;
    expect(content.trim().split('\n')).toEqual(['user.jdoe:f.1', 'user.jdoe:f.2']);
    await cli.run('rucio', ['did', 'metadata', 'set', 'user.jdoe:cli.ds', '--key', 'campaign', '--value', 'spring']);
    expect((await cli.run('rucio', ['did', 'metadata', 'list', '--plugin', 'ALL', 'user.jdoe:cli.ds'])).stdout).toMatch(/campaign\S*\s+spring/);
    expect((await cli.run('rucio', ['did', 'update', '--close', 'user.jdoe:cli.ds'])).stdout).toContain('has been closed');
    const shown = (await cli.run('rucio', ['did', 'show', 'user.jdoe:cli.ds'])).stdout;
    expect(shown).toMatch(/type:\s+DATASET/);
    expect(shown).toMatch(/open:\s+False/);
    expect(shown).toMatch(/monotonic:\s+True/);
    expect(shown).toMatch(/length:\s+2/);
    const missing = await cli.attempt('rucio', ['did', 'show', 'user.jdoe:no.such']);
    expect(missing.code).not.toBe(0);
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/not found/i);
  }, 120_000);
});
