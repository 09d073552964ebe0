import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { rucioClient, RucioClient, startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse, HTTPS_PROTOCOL } from '@tarn/testing/factories/rse.factory.js';

const PASSWORD = 'secret-rse-tests';
/** Each stock CLI command starts a Python interpreter: seconds each on a loaded machine. */
const CLI_TIMEOUT = 180_000;
const HTTPS = HTTPS_PROTOCOL;

/** The lines of an NDJSON answer, parsed. */
function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

describe('RSE routes', () => {
  let db: TestDatabase;
  let api: TestApi;
  let root: string;
  let jdoe: string;

  const as = (token: string) => ({
    get: (path: string) => request(api.url).get(path).set('X-Rucio-Auth-Token', token),
    post: (path: string, body?: unknown) => request(api.url).post(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body ?? {})),
    put: (path: string, body?: unknown) => request(api.url).put(path).set('X-Rucio-Auth-Token', token).send(JSON.stringify(body ?? {})),
    delete: (path: string, body?: unknown) => {
      const call = request(api.url).delete(path).set('X-Rucio-Auth-Token', token);
      return body === undefined ? call : call.send(JSON.stringify(body));
    },
  });
  const admin = () => as(root);
  const user = () => as(jdoe);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    const auth = api.app.get(AuthenticationService);
    root = (await auth.authenticateUserpass('root', 'root', PASSWORD)).token;
    jdoe = (await auth.authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('add, show, update, delete', () => {
    it('shows storage credentials in protocols to administrators only', async () => {
    await as(root).post('/rses/CRED_S3', {}).expect(201);
    await as(root)
      .post('/rses/CRED_S3/protocols/s3+https', {
        hostname: 's3.example.org', port: 443, prefix: '/bucket/', impl: 'rucio.rse.protocols.s3.Default',
        domains: { wan: { read: 1, write: 1, delete: 1 } },
        extended_attributes: { access_key_id: 'AKIA-SITE', secret_access_key: 'very-secret', region: 'eu-1', token_audience: 'https://s3.example.org' },
      })
      .expect(201);
    const seen = async (token: string) => [
      (await as(token).get('/rses/CRED_S3/protocols').expect(200)).body[0].extended_attributes,
      (await as(token).get('/rses/CRED_S3').expect(200)).body.protocols[0].extended_attributes,
    ];
    for (const attributes of await seen(jdoe)) {
      expect(attributes).toEqual({ access_key_id: '<hidden>', secret_access_key: '<hidden>', region: 'eu-1', token_audience: 'https://s3.example.org' });
    }
    for (const attributes of await seen(root)) expect(attributes).toMatchObject({ access_key_id: 'AKIA-SITE', secret_access_key: 'very-secret' });
  });

  it('adds an RSE with the body the stock client sends and shows it with its settings', async () => {
      await admin()
        .post('/rses/SITE_A', { deterministic: true, volatile: false, city: 'Geneva', staging_area: false, rse_type: 'DISK', latitude: 46.2, ISP: null, qos_class: 'SAFE' })
        .expect(201);
      const response = await user().get('/rses/SITE_A').expect(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body).toMatchObject({
        rse: 'SITE_A',
        rse_type: 'DISK',
        deterministic: true,
        volatile: false,
        staging_area: false,
        qos_class: 'SAFE',
        availability_read: true,
        availability_write: true,
        availability_delete: true,
        lfn2pfn_algorithm: 'hash',
        protocols: [],
      });
    });

    it('answers 404 RSENotFound for an unknown RSE, in the body and the headers', async () => {
      const response = await user().get('/rses/NO_SUCH_RSE').expect(404);
      expect(response.body).toEqual({ ExceptionClass: 'RSENotFound', ExceptionMessage: expect.stringContaining("'NO_SUCH_RSE'") });
      expect(response.headers.exceptionclass).toBe('RSENotFound');
    });

    it('refuses a duplicate RSE (409 Duplicate), a bad name (400 naming it) and a non-administrator (401 AccessDenied)', async () => {
      await admin().post('/rses/SITE_DUP').expect(201);
      const duplicate = await admin().post('/rses/SITE_DUP').expect(409);
      expect(duplicate.body.ExceptionClass).toBe('Duplicate');
      const badName = await admin().post('/rses/bad.name').expect(400);
      expect(badName.body.ExceptionMessage).toContain('bad.name');
      const denied = await user().post('/rses/SITE_JDOE').expect(401);
      expect(denied.body.ExceptionClass).toBe('AccessDenied');
      await user().get('/rses/SITE_JDOE').expect(404);
    });

    it('refuses bodies of wrong types and unknown keys with 400 naming the field', async () => {
      const wrongType = await admin().post('/rses/SITE_BAD', { deterministic: 'maybe' }).expect(400);
      expect(wrongType.body.ExceptionMessage).toContain('deterministic');
      const unknown = await admin().post('/rses/SITE_BAD', { colour: 'red' }).expect(400);
      expect(unknown.body.ExceptionMessage).toContain("'colour'");
      const notAnObject = await admin().post('/rses/SITE_BAD', [1, 2]).expect(400);
      expect(notAnObject.body.ExceptionClass).toBe('InvalidObject');
      await admin().get('/rses/SITE_BAD').expect(404);
    });

    it('updates settings, also given as text as rucio-admin rse update sends them (201, as Rucio answers)', async () => {
      await admin().put('/rses/SITE_A', { availability_write: false }).expect(201);
      await admin().put('/rses/SITE_A', { latitude: '47.5' }).expect(201);
      await admin().put('/rses/SITE_A', { qos_class: 'none' }).expect(201);
      const info = (await user().get('/rses/SITE_A').expect(200)).body;
      expect(info).toMatchObject({ availability_write: false, availability_read: true, qos_class: null });
      const listed = ndjson((await user().get('/rses/').expect(200)).text).find((rse) => rse.rse === 'SITE_A');
      expect(listed).toMatchObject({ latitude: 47.5, city: 'Geneva', availability: 5 });
      await user().put('/rses/SITE_A', { volatile: true }).expect(401);
      expect((await admin().put('/rses/SITE_A', { rse_type: 'FLOPPY' }).expect(400)).body.ExceptionMessage).toContain('rse_type');
      await admin().put('/rses/NO_SUCH_RSE', { volatile: true }).expect(404);
      await admin().put('/rses/SITE_A', { availability_write: true, qos_class: 'SAFE' }).expect(201);
    });

    it('deletes an empty RSE; it is then unknown', async () => {
      await admin().post('/rses/SITE_GONE').expect(201);
      await user().delete('/rses/SITE_GONE').expect(401);
      await admin().delete('/rses/SITE_GONE').expect(200);
      await user().get('/rses/SITE_GONE').expect(404);
      await admin().delete('/rses/SITE_GONE').expect(404);
    });

    it('needs a token', async () => {
      const response = await request(api.url).get('/rses/').expect(400);
      expect(response.body.ExceptionClass).toBe('CannotAuthenticate');
    });

    it('documents the routes and their bodies in the OpenAPI document', async () => {
      const document = (await request(api.url).get('/api-docs/json').expect(200)).body;
      for (const path of ['/rses', '/rses/{rse}', '/rses/{rse}/attr/{key}', '/rses/{rse}/protocols/{scheme}', '/rses/{rse}/limits', '/rses/{source}/distances/{destination}', '/rules', '/rules/{ruleId}/move']) {
        expect(document.paths).toHaveProperty([path]);
      }
      expect(document.components.schemas.AddRseDto.properties).toHaveProperty('qos_class');
      expect(document.components.schemas.AddRulesDto.required).toEqual(expect.arrayContaining(['dids', 'copies', 'rse_expression']));
    });
  });

  describe('list by expression', () => {
    beforeAll(async () => {
      await createRse(db.dataSource, { rse: 'TIER1_X', attributes: { tier: 1 }, qosClass: 'SAFE' });
      await createRse(db.dataSource, { rse: 'TIER2_Y', attributes: { tier: 2 }, qosClass: 'FAST' });
    });

    it('streams every RSE as NDJSON, ordered by name', async () => {
      const response = await user().get('/rses/').expect(200);
      expect(response.headers['content-type']).toBe('application/x-json-stream');
      const names = ndjson(response.text).map((rse) => rse.rse);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['SITE_A', 'TIER1_X', 'TIER2_Y']));
      expect(ndjson(response.text)[0]).toMatchObject({ rse: expect.any(String), rse_type: 'DISK', deterministic: true, created_at: expect.stringMatching(/ UTC$/) });
    });

    it('lists the RSEs an expression selects (the client URL-encodes it)', async () => {
      const byAttribute = ndjson((await user().get(`/rses/?expression=${encodeURIComponent('tier=1|tier=2')}`).expect(200)).text);
      expect(byAttribute.map((rse) => rse.rse)).toEqual(['TIER1_X', 'TIER2_Y']);
      const difference = ndjson((await user().get(`/rses/?expression=${encodeURIComponent('tier>0\\TIER2_Y')}`).expect(200)).text);
      expect(difference.map((rse) => rse.rse)).toEqual(['TIER1_X']);
    });

    it('refuses an expression with a stray token (400 InvalidRSEExpression naming it) and one that selects nothing', async () => {
      const stray = await user().get(`/rses/?expression=${encodeURIComponent('TIER1_X)')}`).expect(400);
      expect(stray.body.ExceptionClass).toBe('InvalidRSEExpression');
      expect(stray.body.ExceptionMessage).toContain(')');
      const nothing = await user().get(`/rses/?expression=${encodeURIComponent('tier=9')}`).expect(400);
      expect(nothing.body.ExceptionClass).toBe('InvalidRSEExpression');
      expect(nothing.body.ExceptionMessage).toContain('tier=9');
    });
  });

  describe('attributes', () => {
    it('sets, lists and deletes attributes; "true"/"false" become booleans as in Rucio', async () => {
      await admin().post('/rses/SITE_A/attr/tier', { value: 1 }).expect(201);
      await admin().post('/rses/SITE_A/attr/fast', { value: 'True' }).expect(201);
      await admin().post('/rses/SITE_A/attr/country', { value: 'CH' }).expect(201);
      const listed = await user().get('/rses/SITE_A/attr/').expect(200);
      expect(listed.headers['content-type']).toBe('application/json');
      expect(listed.body).toMatchObject({ tier: 1, fast: true, country: 'CH' });
      await admin().delete('/rses/SITE_A/attr/fast').expect(200);
      expect((await user().get('/rses/SITE_A/attr/').expect(200)).body).not.toHaveProperty('fast');
      expect((await admin().delete('/rses/SITE_A/attr/fast').expect(404)).body.ExceptionClass).toBe('RSEAttributeNotFound');
    });

    it('refuses non-administrators, bad keys, missing and wrong values, unknown RSEs', async () => {
      expect((await user().post('/rses/SITE_A/attr/tier', { value: 3 }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      expect((await admin().post('/rses/SITE_A/attr/bad%20key', { value: 1 }).expect(400)).body.ExceptionMessage).toContain('bad key');
      expect((await admin().post('/rses/SITE_A/attr/tier', {}).expect(400)).body.ExceptionMessage).toContain('value');
      expect((await admin().post('/rses/SITE_A/attr/tier', { value: { nested: true } }).expect(400)).body.ExceptionClass).toBe('InvalidValueForKey');
      await admin().post('/rses/NO_SUCH_RSE/attr/tier', { value: 1 }).expect(404);
      await user().get('/rses/NO_SUCH_RSE/attr/').expect(404);
    });
  });

  describe('protocols', () => {
    it('adds a protocol; the RSE info and the protocol list show it', async () => {
      await admin().post('/rses/SITE_A/protocols/https', { ...HTTPS, scheme: 'https' }).expect(201);
      const info = (await user().get('/rses/SITE_A').expect(200)).body;
      expect(info.protocols).toEqual([{ ...HTTPS, scheme: 'https', extended_attributes: null }]);
      const listed = await user().get('/rses/SITE_A/protocols').expect(200);
      expect(listed.body).toEqual([{ ...HTTPS, scheme: 'https', extended_attributes: null }]);
      const forWrite = await user().get('/rses/SITE_A/protocols?operation=write&protocol_domain=wan&default=True').expect(200);
      expect(forWrite.body.map((p: { scheme: string }) => p.scheme)).toEqual(['https']);
      const byScheme = await user().get('/rses/SITE_A/protocols/https').expect(200);
      expect(byScheme.body).toMatchObject({ rse: 'SITE_A', protocols: [{ scheme: 'https' }] });
    });

    it('refuses a duplicate, a missing impl, bad priorities, wrong types and non-administrators', async () => {
      expect((await admin().post('/rses/SITE_A/protocols/https', HTTPS).expect(409)).body.ExceptionClass).toBe('Duplicate');
      expect((await admin().post('/rses/SITE_A/protocols/root', { hostname: 'h', port: 1094 }).expect(400)).body.ExceptionMessage).toContain('impl');
      const badDomain = await admin().post('/rses/SITE_A/protocols/root', { ...HTTPS, domains: { moon: { read: 1 } } }).expect(400);
      expect(badDomain.body.ExceptionMessage).toContain('moon');
      expect((await admin().post('/rses/SITE_A/protocols/root', { ...HTTPS, port: 'https' }).expect(400)).body.ExceptionMessage).toContain('port');
      expect((await user().post('/rses/SITE_A/protocols/root', { ...HTTPS }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      await admin().post('/rses/NO_SUCH_RSE/protocols/root', HTTPS).expect(404);
    });

    it('answers 404 RSEProtocolNotSupported when an RSE has no protocol for the operation', async () => {
      await admin().post('/rses/SITE_BARE').expect(201);
      expect((await user().get('/rses/SITE_BARE/protocols').expect(404)).body.ExceptionClass).toBe('RSEProtocolNotSupported');
      await admin()
        .post('/rses/SITE_BARE/protocols/root', { hostname: 'xrd', port: 1094, prefix: '/', impl: 'rucio.rse.protocols.xrootd.Default', domains: { wan: { read: 1 } } })
        .expect(201);
      await user().get('/rses/SITE_BARE/protocols?operation=read').expect(200);
      expect((await user().get('/rses/SITE_BARE/protocols?operation=write').expect(404)).body.ExceptionClass).toBe('RSEProtocolNotSupported');
      expect((await user().get('/rses/SITE_BARE/protocols?operation=fly').expect(400)).body.ExceptionMessage).toContain('fly');
    });

    it('updates a protocol by scheme, hostname and port, and deletes it', async () => {
      await admin().put('/rses/SITE_A/protocols/https/storage.example.org/443', { domains: { wan: { read: 2 } }, prefix: '/data2/' }).expect(200);
      const [protocol] = (await user().get('/rses/SITE_A/protocols').expect(200)).body;
      expect(protocol).toMatchObject({ prefix: '/data2/', domains: { wan: { read: 2, write: 1 } } });
      await user().put('/rses/SITE_A/protocols/https', { prefix: '/x/' }).expect(401);
      await admin().put('/rses/SITE_A/protocols/https/other.host/443', { prefix: '/x/' }).expect(404);
      await admin().put('/rses/SITE_A/protocols/https/storage.example.org/port', { prefix: '/x/' }).expect(400);
      await user().delete('/rses/SITE_A/protocols/https').expect(401);
      await admin().delete('/rses/SITE_A/protocols/https/storage.example.org/443').expect(200);
      expect((await admin().delete('/rses/SITE_A/protocols/https').expect(404)).body.ExceptionClass).toBe('RSEProtocolNotSupported');
      await admin().post('/rses/SITE_A/protocols/https', HTTPS).expect(201);
    });
  });

  describe('limits and usage', () => {
    it('sets, reads and deletes limits as rseclient sends them', async () => {
      await admin().put('/rses/SITE_A/limits', { name: 'MinFreeSpace', value: 1000 }).expect(200);
      await admin().put('/rses/SITE_A/limits', { name: 'MaxBytes', value: 10_000 }).expect(200);
      const limits = await user().get('/rses/SITE_A/limits').expect(200);
      expect(limits.headers['content-type']).toBe('application/json');
      expect(limits.body).toEqual({ MinFreeSpace: 1000, MaxBytes: 10_000 });
      await admin().delete('/rses/SITE_A/limits', { name: 'MaxBytes' }).expect(200);
      expect((await user().get('/rses/SITE_A/limits').expect(200)).body).toEqual({ MinFreeSpace: 1000 });
    });

    it('refuses bad limits and non-administrators', async () => {
      expect((await admin().put('/rses/SITE_A/limits', { name: 'MaxBytes', value: 'lots' }).expect(400)).body.ExceptionMessage).toContain('value');
      expect((await admin().put('/rses/SITE_A/limits', { name: 'MaxBytes', value: -1 }).expect(400)).body.ExceptionMessage).toContain('value');
      expect((await admin().delete('/rses/SITE_A/limits').expect(400)).body.ExceptionMessage).toContain('name');
      expect((await user().put('/rses/SITE_A/limits', { name: 'MaxBytes', value: 1 }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
      await admin().put('/rses/NO_SUCH_RSE/limits', { name: 'MaxBytes', value: 1 }).expect(404);
    });

    it('sets usage per source and streams it back', async () => {
      await admin().put('/rses/SITE_A/usage', { source: 'storage', used: 10, free: 90, files: null }).expect(200);
      const response = await user().get('/rses/SITE_A/usage').expect(200);
      expect(response.headers['content-type']).toBe('application/x-json-stream');
      expect(ndjson(response.text)).toEqual([
        expect.objectContaining({ rse: 'SITE_A', source: 'storage', used: 10, free: 90, total: 100, files: 0, updated_at: expect.stringMatching(/ UTC$/) }),
      ]);
      expect(ndjson((await user().get('/rses/SITE_A/usage?source=rucio').expect(200)).text)).toEqual([]);
      await user().put('/rses/SITE_A/usage', { source: 'storage', used: 1 }).expect(401);
      expect((await admin().put('/rses/SITE_A/usage', { source: 'storage', used: 'ten' }).expect(400)).body.ExceptionMessage).toContain('used');
    });
  });

  describe('distances', () => {
    it('adds, reads, updates and deletes distances (both directions on request)', async () => {
      expect((await user().get('/rses/SITE_A/distances/TIER1_X').expect(200)).body).toEqual([]);
      await admin().post('/rses/SITE_A/distances/TIER1_X', { distance: 5, bidirectional: false }).expect(201);
      const [distance] = (await user().get('/rses/SITE_A/distances/TIER1_X').expect(200)).body;
      expect(distance).toMatchObject({ src_rse: 'SITE_A', dest_rse: 'TIER1_X', distance: 5, ranking: 5 });
      expect((await admin().post('/rses/SITE_A/distances/TIER1_X', { distance: 6 }).expect(409)).body.ExceptionClass).toBe('Duplicate');
      await admin().put('/rses/SITE_A/distances/TIER1_X', { distance: 7, bidirectional: true }).expect(200);
      expect((await user().get('/rses/TIER1_X/distances/SITE_A').expect(200)).body[0]).toMatchObject({ distance: 7 });
      await admin().put('/rses/SITE_A/distances/TIER1_X', { ranking: 8 }).expect(200);
      expect((await user().get('/rses/SITE_A/distances/TIER1_X').expect(200)).body[0]).toMatchObject({ distance: 8 });
      await admin().delete('/rses/SITE_A/distances/TIER1_X?bidirectional=True').expect(200);
      expect((await user().get('/rses/SITE_A/distances/TIER1_X').expect(200)).body).toEqual([]);
      expect((await user().get('/rses/TIER1_X/distances/SITE_A').expect(200)).body).toEqual([]);
    });

    it('refuses missing or negative distances, unknown RSEs and non-administrators', async () => {
      expect((await admin().post('/rses/SITE_A/distances/TIER1_X', {}).expect(400)).body.ExceptionMessage).toContain('distance');
      expect((await admin().post('/rses/SITE_A/distances/TIER1_X', { distance: -3 }).expect(400)).body.ExceptionMessage).toContain('distance');
      expect((await admin().post('/rses/SITE_A/distances/NO_SUCH_RSE', { distance: 1 }).expect(404)).body.ExceptionClass).toBe('RSENotFound');
      await user().get('/rses/NO_SUCH_RSE/distances/SITE_A').expect(404);
      expect((await user().put('/rses/SITE_A/distances/TIER1_X', { distance: 1 }).expect(401)).body.ExceptionClass).toBe('AccessDenied');
    });
  });
});

describe('rucio-admin rse and rucio rse commands (stock rucio-clients)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let cli: RucioClient;
  let userCli: RucioClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    cli = await rucioClient(api.url, 'root', PASSWORD);
    userCli = await rucioClient(api.url, 'jdoe', PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('adds an RSE, sets attributes, a protocol, a limit and a distance, and shows them with rse info', async () => {
    expect((await cli.run('rucio-admin', ['rse', 'add', 'CLI_DISK'])).stdout).toContain('Added new deterministic RSE: CLI_DISK');
    await cli.run('rucio-admin', ['rse', 'add', '--non-deterministic', 'CLI_TAPE']);
    await cli.run('rucio-admin', ['rse', 'set-attribute', '--rse', 'CLI_DISK', '--key', 'tier', '--value', '1']);
    await cli.run('rucio-admin', ['rse', 'set-attribute', '--rse', 'CLI_DISK', '--key', 'fast', '--value', 'true']);
    await cli.run('rucio-admin', ['rse', 'set-attribute', '--rse', 'CLI_TAPE', '--key', 'tier', '--value', '2']);
    const domains = { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }, lan: { read: 1, write: 1, delete: 1 } };
    await cli.run('rucio-admin', [
      'rse', 'add-protocol', '--hostname', 'xrootd.example.org', '--scheme', 'root', '--prefix', '/data/tarn/', '--port', '1094',
      '--impl', 'rucio.rse.protocols.xrootd.Default', '--domain-json', JSON.stringify(domains), 'CLI_DISK',
    ]);
    await cli.run('rucio-admin', ['rse', 'set-limit', 'CLI_DISK', 'MinFreeSpace', '10000']);
    await cli.run('rucio-admin', ['rse', 'update', '--rse', 'CLI_DISK', '--setting', 'availability_delete', '--value', 'False']);
    await cli.run('rucio-admin', ['rse', 'add-distance', '--distance', '3', 'CLI_DISK', 'CLI_TAPE']);
    expect((await cli.run('rucio-admin', ['rse', 'get-distance', 'CLI_DISK', 'CLI_TAPE'])).stdout).toMatch(/3/);

    const { stdout } = await cli.run('rucio-admin', ['rse', 'info', 'CLI_DISK']);
    for (const text of ['CLI_DISK', 'availability_delete', 'False', 'tier', 'fast', 'True', 'root', 'xrootd.example.org', '1094', '/data/tarn/', 'MinFreeSpace', '10000']) {
      expect(stdout).toContain(text);
    }
    const info = (await request(api.url).get('/rses/CLI_DISK').set('X-Rucio-Auth-Token', await tokenOf(api, 'root'))).body;
    expect(info).toMatchObject({ availability_delete: false, protocols: [{ scheme: 'root', port: 1094, domains }] });
    expect((await request(api.url).get('/rses/CLI_TAPE').set('X-Rucio-Auth-Token', await tokenOf(api, 'root'))).body.deterministic).toBe(false);
  }, CLI_TIMEOUT);

  it('lists RSEs, also by expression (rucio-admin rse list, rucio list-rses, rucio rse list)', async () => {
    const all = (await cli.run('rucio-admin', ['rse', 'list'])).stdout;
    expect(all).toContain('CLI_DISK');
    expect(all).toContain('CLI_TAPE');
    const tier1 = (await userCli.run('rucio', ['list-rses', '--rses', 'tier=1'])).stdout;
    expect(tier1).toContain('CLI_DISK');
    expect(tier1).not.toContain('CLI_TAPE');
    const notTier1 = (await userCli.run('rucio', ['rse', 'list', '--rses', 'tier>0\\fast=true'])).stdout;
    expect(notTier1).toContain('CLI_TAPE');
    expect(notTier1).not.toContain('CLI_DISK');
    const stray = await userCli.attempt('rucio', ['rse', 'list', '--rses', 'tier=1)']);
    expect(stray.code).not.toBe(0);
    expect(stray.stdout + stray.stderr).toMatch(/Invalid RSE expression/i);
  }, CLI_TIMEOUT);

  it('deletes an attribute, the protocol and the limit; a non-administrator is refused', async () => {
    await cli.run('rucio-admin', ['rse', 'delete-attribute', '--rse', 'CLI_DISK', '--key', 'fast', '--value', 'true']);
    await cli.run('rucio-admin', ['rse', 'delete-protocol', '--scheme', 'root', 'CLI_DISK']);
    await cli.run('rucio-admin', ['rse', 'delete-limit', 'CLI_DISK', 'MinFreeSpace']);
    const { stdout } = await cli.run('rucio-admin', ['rse', 'info', 'CLI_DISK']);
    expect(stdout).not.toContain('xrootd.example.org');
    expect(stdout).not.toContain('MinFreeSpace');
    expect(stdout).not.toMatch(/fast/);
    const denied = await userCli.attempt('rucio-admin', ['rse', 'add', 'JDOE_DISK']);
    expect(denied.code).not.toBe(0);
    expect(denied.stdout + denied.stderr).toMatch(/AccessDenied|not allowed|may not/i);
  }, CLI_TIMEOUT);
});

async function tokenOf(api: TestApi, account: string): Promise<string> {
  return (await api.app.get(AuthenticationService).authenticateUserpass(account, account, PASSWORD)).token;
}
