import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { Adler32Checksummer } from '@tarn/checksums';
import { AuthenticationService } from '@tarn/core';
import { hashPath } from '@tarn/domain';
import { rucioClient, startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { declareCorruptReplicas } from '@tarn/core/replicas/corrupt-replicas.js';
import { unitOfWork } from '@tarn/catalogue';

const PASSWORD = 'secret-replica-tests';
const SCOPE = 'user.jdoe';
const protocol = (scheme: string, hostname: string, port: number, prefix: string, wan: number, lan = wan) => ({
  scheme,
  hostname,
  port,
  prefix,
  impl: `rucio.rse.protocols.${scheme}.Default`,
  domains: { lan: { read: lan, write: 1, delete: 1 }, wan: { read: wan, write: 1, delete: 1 } },
});

function ndjson(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

function adler32Hex(bytes: Uint8Array): string {
  const checksummer = new Adler32Checksummer();
  checksummer.update(bytes);
  return checksummer.digest();
}

const file = (name: string, bytes = 1000) => ({ scope: SCOPE, name, bytes, adler32: 'deadbeef', md5: '0123456789abcdef0123456789abcdef' });

describe('replica routes', () => {
  let db: TestDatabase;
  let api: TestApi;
  let user: string;
  let root: string;
  let siteA: { id: string };

  const call = (token: string, method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown) => {
    const r = request(api.url)[method](path).set('X-Rucio-Auth-Token', token);
    return body === undefined ? r : r.send(JSON.stringify(body));
  };
  const list = async (body: unknown, token = user) => {
    const response = await call(token, 'post', '/replicas/list', body).expect(200);
    expect(response.headers['content-type']).toBe('application/x-json-stream');
    return ndjson(response.text);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createScope(db.dataSource, { scope: SCOPE, account: 'jdoe' });
    siteA = await createRse(db.dataSource, {
      rse: 'SITE_A',
      protocols: [protocol('root', 'xrd.a.org', 1094, '/atlas/', 2), protocol('https', 'web.a.org', 443, '/data', 1)],
    });
    await createRse(db.dataSource, { rse: 'SITE_B', rseType: 'TAPE', protocols: [protocol('https', 'web.b.org', 443, '/b/', 1)] });
    await createRse(db.dataSource, { rse: 'SITE_ND', deterministic: false, protocols: [protocol('https', 'nd.org', 443, '/nd/', 1)] });
    const auth = api.app.get(AuthenticationService);
    user = (await auth.authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
    root = (await auth.authenticateUserpass('root', 'root', PASSWORD)).token;
    await call(user, 'post', '/dids/user.jdoe/ds.rep', { type: 'DATASET' }).expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('registers replicas in bulk, creating the files, and lists them as Rucio does', async () => {
    await call(user, 'post', '/replicas', { rse: 'SITE_A', files: [file('r.1'), file('r.2', 2000)], ignore_availability: true }).expect(201);
    await call(user, 'post', '/replicas', { rse: 'SITE_B', files: [file('r.1')] }).expect(201);
    await call(user, 'post', '/dids/user.jdoe/ds.rep/dids', { dids: [{ scope: SCOPE, name: 'r.1' }, { scope: SCOPE, name: 'r.2' }] }).expect(201);
    // Announced, not yet AVAILABLE: the replica-registrar checks them on the storage first.
    expect((await list({ dids: [{ scope: SCOPE, name: 'ds.rep' }], all_states: true })).map((f) => f.states)).toEqual([
      { SITE_A: 'COPYING', SITE_B: 'COPYING' },
      { SITE_A: 'COPYING' },
    ]);
    expect(await passQueuedVerifications(db.dataSource)).toBe(3);

    const [first, second] = await list({ dids: [{ scope: SCOPE, name: 'ds.rep' }], all_states: false, resolve_archives: true, domain: null });
    const path = hashPath(SCOPE, 'r.1');
    const https = `https://web.a.org:443/data/${path}`;
    const root_ = `root://xrd.a.org:1094/atlas/${path}`;
    const tape = `https://web.b.org:443/b/${path}`;
    expect(first).toMatchObject({ scope: SCOPE, name: 'r.1', bytes: 1000, adler32: 'deadbeef', md5: '0123456789abcdef0123456789abcdef' });
    expect(Object.keys(first.pfns).sort()).toEqual([https, root_, tape].sort());
    expect(first.pfns[https]).toEqual({ rse_id: siteA.id, rse: 'SITE_A', type: 'DISK', volatile: false, domain: 'wan', priority: expect.any(Number), client_extract: false });
    expect(first.pfns[tape].type).toBe('TAPE');
    expect(first.pfns[https].priority).toBeLessThan(first.pfns[root_].priority);
    expect(first.rses.SITE_A).toEqual([https, root_]);
    expect(first.rses.SITE_B).toEqual([tape]);
    expect(first.states).toEqual({ SITE_A: 'AVAILABLE', SITE_B: 'AVAILABLE' });
    expect(second).toMatchObject({ name: 'r.2', bytes: 2000, states: { SITE_A: 'AVAILABLE' } });

    const onlyRoot = await list({ dids: [{ scope: SCOPE, name: 'r.1' }], schemes: ['root'] });
    expect(onlyRoot[0].pfns).toEqual({ [root_]: expect.objectContaining({ priority: 1 }) });
    const onB = await list({ dids: [{ scope: SCOPE, name: 'ds.rep' }], rse_expression: 'SITE_B' });
    expect(onB.map((f) => f.name)).toEqual(['r.1']);
    expect(Object.keys(onB[0].rses)).toEqual(['SITE_B']);
    const one = await call(user, 'get', `/replicas/${SCOPE}/r.2`).expect(200);
    expect(ndjson(one.text)).toEqual([expect.objectContaining({ name: 'r.2', rses: { SITE_A: expect.any(Array) } })]);
  });

  it('answers Metalink 4 when asked, as the stock download parses it', async () => {
    const response = await call(user, 'post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'ds.rep' }] })
      .set('Accept', 'application/metalink4+xml')
      .expect(200);
    expect(response.headers['content-type']).toBe('application/metalink4+xml');
    const text = response.text;
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n')).toBe(true);
    expect(text.trimEnd().endsWith('</metalink>')).toBe(true);
    expect(text).toContain(' <file name="r.1">\n  <identity>user.jdoe:r.1</identity>\n  <hash type="adler32">deadbeef</hash>\n');
    expect(text).toContain('  <size>1000</size>\n');
    expect(text).toMatch(/<url location="SITE_A" domain="wan" priority="1" client_extract="false">https:\/\/web\.a\.org:443\/data\//);
    expect((text.match(/<file /g) ?? []).length).toBe(2);
    const empty = await call(user, 'post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'ds.rep' }], rse_expression: 'SITE_ND' })
      .set('Accept', 'application/metalink4+xml')
      .expect(200);
    expect(empty.text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n</metalink>\n');
  });

  it('keeps a file asked for directly even without replicas, drops such files of collections', async () => {
    await call(user, 'post', '/dids', [{ scope: SCOPE, name: 'lonely', type: 'FILE', bytes: 5 }]).expect(201);
    expect(await list({ dids: [{ scope: SCOPE, name: 'lonely' }] })).toEqual([
      { scope: SCOPE, name: 'lonely', bytes: 5, md5: null, adler32: null, pfns: {}, rses: {}, states: {} },
    ]);
    await call(user, 'post', '/dids/user.jdoe/ds.rep/dids', { dids: [{ scope: SCOPE, name: 'lonely' }] }).expect(201);
    expect((await list({ dids: [{ scope: SCOPE, name: 'ds.rep' }] })).map((f) => f.name)).toEqual(['r.1', 'r.2']);
  });

  it('changes replica states; all_states shows them', async () => {
    await call(root, 'put', '/replicas', { rse: 'SITE_B', files: [{ scope: SCOPE, name: 'r.1', state: 'UNAVAILABLE' }] }).expect(200);
    expect((await list({ dids: [{ scope: SCOPE, name: 'r.1' }] }))[0].states).toEqual({ SITE_A: 'AVAILABLE' });
    expect((await list({ dids: [{ scope: SCOPE, name: 'r.1' }], all_states: true }))[0].states).toEqual({ SITE_A: 'AVAILABLE', SITE_B: 'UNAVAILABLE' });
    const datasets = await call(user, 'get', `/replicas/${SCOPE}/ds.rep/datasets`).expect(200);
    expect(ndjson(datasets.text)).toEqual([
      expect.objectContaining({ rse: 'SITE_A', length: 3, available_length: 2, state: 'UNAVAILABLE' }),
      expect.objectContaining({ rse: 'SITE_B', length: 3, available_length: 0, available_bytes: 0 }),
    ]);
    const denied = await call(user, 'put', '/replicas', { rse: 'SITE_B', files: [{ scope: SCOPE, name: 'r.1', state: 'TEMPORARY_UNAVAILABLE' }] });
    expect(denied.status).toBe(401);
    // AVAILABLE is a claim the owner of the scope may make (the stock upload does): it is verified first.
    await call(user, 'put', '/replicas', { rse: 'SITE_B', files: [{ scope: SCOPE, name: 'r.1', state: 'AVAILABLE' }] }).expect(200);
    expect((await list({ dids: [{ scope: SCOPE, name: 'r.1' }], all_states: true }))[0].states).toEqual({ SITE_A: 'AVAILABLE', SITE_B: 'COPYING' });
    expect(await passQueuedVerifications(db.dataSource)).toBe(1);
    expect((await list({ dids: [{ scope: SCOPE, name: 'r.1' }] }))[0].states).toEqual({ SITE_A: 'AVAILABLE', SITE_B: 'AVAILABLE' });
  });

  it('registers a replica on a non-deterministic RSE from its PFN', async () => {
    // Paths on storage are the administrators' to give (an RSE may open its scope directories to their owners).
    await call(root, 'post', '/replicas', { rse: 'SITE_ND', files: [{ ...file('nd.1'), pfn: 'https://nd.org:443/nd/some/where/nd.1' }] }).expect(201);
    await passQueuedVerifications(db.dataSource);
    const [row] = await list({ dids: [{ scope: SCOPE, name: 'nd.1' }] });
    expect(row.rses).toEqual({ SITE_ND: ['https://nd.org:443/nd/some/where/nd.1'] });
    const missing = await call(user, 'post', '/replicas', { rse: 'SITE_ND', files: [file('nd.2')] }).expect(400);
    expect(missing.body.ExceptionClass).toBe('InvalidPath');
  });

  it('declares replicas bad by DID and by PFN, answering what it could not declare', async () => {
    const pfn = `https://web.a.org:443/data/${hashPath(SCOPE, 'r.2')}`;
    const response = await call(root, 'post', '/replicas/bad', {
      replicas: [{ scope: SCOPE, name: 'r.1', rse: 'SITE_A' }, pfn, { scope: SCOPE, name: 'lonely', rse: 'SITE_A' }, 'https://nowhere.org/x'],
      reason: 'checksum mismatch',
    }).expect(201);
    expect(response.body).toEqual({
      SITE_A: [`${SCOPE}:lonely Unknown replica`],
      unknown: [expect.stringContaining('https://nowhere.org/x')],
    });
    const states = (await readReplicas(db.dataSource, SCOPE)).filter((r) => r.rseId === siteA.id).map((r) => [r.name, r.state]);
    expect(states).toEqual([
      ['r.1', 'D'],
      ['r.2', 'D'],
    ]);
    const byDids = await call(root, 'post', '/replicas/bad/dids', { rse: 'SITE_B', dids: [{ scope: SCOPE, name: 'r.1' }, { scope: SCOPE, name: 'r.2' }], reason: 'lost' }).expect(201);
    expect(byDids.body).toEqual([`${SCOPE}:r.2 Unknown replica`]);
  });

  it('lists replicas declared suspicious (GET /replicas/suspicious), also to the stock client', async () => {
    await call(user, 'post', '/replicas', { rse: 'SITE_A', files: [file('susp.1')] }).expect(201);
    expect(await passQueuedVerifications(db.dataSource)).toBe(1);
    // Twice a transfer read bytes of the only copy that do not match the catalogue.
    for (const attempt of [1, 2]) {
      const declared = await unitOfWork(db.dataSource, { what: 'test' }, (manager) =>
        declareCorruptReplicas(manager, [{ scope: SCOPE, name: 'susp.1', rseId: siteA.id, reason: `attempt ${attempt}: adler32 expected deadbeef, read 00000001` }]),
      );
      expect(declared.map((d) => d.state)).toEqual(['S']);
    }
    const suspicious = async (query: Record<string, string>, expected = 200) =>
      (await call(user, 'get', `/replicas/suspicious?${new URLSearchParams(query)}`).expect(expected)).body;
    const entry = { scope: SCOPE, name: 'susp.1', rse: 'SITE_A', rse_id: siteA.id, cnt: 2, created_at: expect.stringMatching(/ UTC$/) };
    expect(await suspicious({})).toEqual([entry]);
    expect(await suspicious({ rse_expression: 'SITE_A', nattempts: '1' })).toEqual([entry]);
    expect(await suspicious({ nattempts: '2' })).toEqual([]);
    expect(await suspicious({ rse_expression: 'SITE_B' })).toEqual([]);
    expect(await suspicious({ younger_than: new Date(Date.now() + 3600_000).toISOString() })).toEqual([]);
    expect((await suspicious({ younger_than: 'yesterday' }, 400)).ExceptionClass).toBe('InputValidationError');

    // A job that could not read it declares it suspicious by PFN, through the stock client; an unknown PFN is answered back.
    const client = await rucioClient(api.url, 'jdoe', PASSWORD);
    const pfn = `https://web.a.org:443/data/${hashPath(SCOPE, 'susp.1')}`;
    const declare = 'import json, sys\nfrom rucio.client import Client\nprint(json.dumps(Client().declare_suspicious_file_replicas(json.loads(sys.argv[1]), "read failed")))';
    expect(JSON.parse(await client.python(declare, [JSON.stringify([pfn, 'https://nowhere.org/x/y'])]))).toEqual({
      unknown: [expect.stringContaining('https://nowhere.org/x/y Unknown replica')],
    });
    const list = 'import json\nfrom rucio.client import Client\nprint(json.dumps(next(iter(Client().list_suspicious_replicas(rse_expression="SITE_A"))), default=str))';
    // One JSON list, as Rucio answers (application/json); the client turns created_at into a datetime.
    expect(JSON.parse(await client.python(list))).toEqual([{ ...entry, cnt: 3, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) }]);
    const [declared] = await db.dataSource.query(`SELECT account, reason FROM bad_replicas WHERE name = 'susp.1' AND account = 'jdoe'`);
    expect(declared).toEqual({ account: 'jdoe', reason: 'read failed' });
    expect(await readReplicas(db.dataSource, SCOPE, 'susp.1')).toEqual([expect.objectContaining({ state: 'A' })]);
  }, 120_000);

  it("refuses to delete replica rows to every account, administrators too, as Rucio's policy does, saying how replicas go", async () => {
    const before = await readReplicas(db.dataSource, SCOPE, 'r.1');
    const response = await call(root, 'delete', '/replicas', { rse: 'SITE_A', files: [{ scope: SCOPE, name: 'r.1' }] }).expect(401);
    expect(response.body.ExceptionClass).toBe('AccessDenied');
    expect(response.body.ExceptionMessage).toMatch(/^No account may DELETE \/replicas: replica rows are removed by the reaper.*POST \/replicas\/tombstone/);
    expect(await readReplicas(db.dataSource, SCOPE, 'r.1')).toEqual(before);
  });

  describe('with the stock rucio CLI', () => {
    it('lists DIDs and file replicas', async () => {
      const cli = await rucioClient(api.url, 'jdoe', PASSWORD);
      const dids = (await cli.run('rucio', ['did', 'list', `${SCOPE}:*`])).stdout;
      expect(dids).toContain(`${SCOPE}:ds.rep`);
      expect(dids).toContain('DATASET');
      expect(dids).not.toContain(`${SCOPE}:r.1`);
      const files = (await cli.run('rucio', ['did', 'list', '--filter', 'type=file', `${SCOPE}:r*`])).stdout;
      expect(files).toContain(`${SCOPE}:r.1`);
      expect(files).toContain(`${SCOPE}:r.2`);
      const replicas = (await cli.run('rucio', ['replica', 'list', 'file', '--all-states', `${SCOPE}:nd.1`])).stdout;
      expect(replicas).toContain('SITE_ND');
      expect(replicas).toContain('https://nd.org:443/nd/some/where/nd.1');
    }, 120_000);

    it('downloads a file through the Metalink answer, checking its adler32', async () => {
      const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-posix-rse-'));
      await createRse(db.dataSource, {
        rse: 'SITE_POSIX',
        protocols: [{ ...protocol('file', 'localhost', 0, storage, 1), impl: 'rucio.rse.protocols.posix.Default' }],
      });
      const content = Buffer.from('photons from run 4711\n');
      const where = path.join(storage, hashPath(SCOPE, 'dl.1'));
      fs.mkdirSync(path.dirname(where), { recursive: true });
      fs.writeFileSync(where, content);
      await call(user, 'post', '/replicas', { rse: 'SITE_POSIX', files: [{ scope: SCOPE, name: 'dl.1', bytes: content.length, adler32: adler32Hex(content) }] }).expect(201);
      expect(await api.app.get(ReplicaRegistrarService, { strict: false }).verifyDue()).toMatchObject({ checked: 1, available: 1 });

      const cli = await rucioClient(api.url, 'jdoe', PASSWORD);
      const target = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-download-'));
      const result = await cli.attempt('rucio', ['download', '--dir', target, `${SCOPE}:dl.1`]);
      expect(`${result.code}\n${result.stdout}\n${result.stderr}`).toMatch(/^0\n/);
      expect(fs.readFileSync(path.join(target, SCOPE, 'dl.1'))).toEqual(content);
      fs.rmSync(storage, { recursive: true, force: true });
      fs.rmSync(target, { recursive: true, force: true });
    }, 120_000);
  });
});
