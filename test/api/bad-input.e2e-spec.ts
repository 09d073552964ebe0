import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';

const PASSWORD = 'secret-bad-input';
const SCOPE = 'user.jdoe';

describe('bad input on the DID and replica routes never yields a 500', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;
  let adminToken: string;

  const raw = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: string) => {
    const r = request(api.url)[method](path).set('X-Rucio-Auth-Token', token);
    return body === undefined ? r : r.send(body);
  };
  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown) =>
    raw(method, path, body === undefined ? undefined : JSON.stringify(body));

  /** Answers a 4xx in Rucio's error shape, and returns it. */
  async function refused(response: request.Test | Promise<request.Response>, status: number, exceptionClass: string | RegExp, message?: RegExp) {
    const answer = await response;
    expect({ status: answer.status, body: answer.body }).toEqual({ status, body: expect.objectContaining({ ExceptionClass: expect.anything() }) });
    expect(answer.body.ExceptionClass).toMatch(exceptionClass);
    expect(answer.headers.exceptionclass).toBe(answer.body.ExceptionClass);
    if (message) expect(answer.body.ExceptionMessage).toMatch(message);
    return answer;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createScope(db.dataSource, { scope: SCOPE, account: 'jdoe' });
    await createRse(db.dataSource, { rse: 'BAD_INPUT_RSE' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    adminToken = (await api.app.get(AuthenticationService).authenticateUserpass('root', 'root', PASSWORD)).token;
    await call('post', `/dids/${SCOPE}/ds.exists`, { type: 'DATASET' }).expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('refuses malformed DID names: "..", a leading "/", control characters, ":", too long', async () => {
    await refused(call('get', `/dids/${SCOPE}/..%2Fetc`), 400, 'InvalidObject', /'\.\.'/);
    await refused(call('get', `/dids/${SCOPE}/a/../b`), 400, 'InvalidObject', /'\.\.'/);
    await refused(call('post', `/dids/${SCOPE}/%2Fabsolute`, { type: 'DATASET' }), 400, 'InvalidObject', /must not start with '\/'/);
    await refused(call('post', `/dids/${SCOPE}/bell%07name`, { type: 'DATASET' }), 400, 'InvalidObject', /control characters/);
    await refused(call('post', `/dids/${SCOPE}/a%3Ab`, { type: 'DATASET' }), 400, 'InvalidObject', /':'/);
    await refused(call('post', `/dids/${SCOPE}/${'x'.repeat(300)}`, { type: 'DATASET' }), 400, 'InvalidObject', /at most 250/);
    await refused(call('post', '/dids', [{ scope: SCOPE, name: 'ok/../no', type: 'DATASET' }]), 400, 'InvalidObject', /ok\/\.\.\/no/);
    await refused(call('get', `/dids/bad%20scope!/x`), 400, 'InvalidObject', /scope/);
    await refused(call('get', `/dids/${SCOPE}/a%zzb`), 400, /.+/);
  });

  it('answers unknown scopes, DIDs and RSEs with 404 and the Rucio class', async () => {
    await refused(call('post', '/dids/nosuch.scope/ds', { type: 'DATASET' }), 404, 'ScopeNotFound', /nosuch\.scope/);
    await refused(call('get', `/dids/${SCOPE}/no.such.did`), 404, 'DataIdentifierNotFound', /no\.such\.did/);
    await refused(call('post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'no.such.did' }] }), 404, 'DataIdentifierNotFound');
    await refused(
      call('post', '/replicas', { rse: 'NO_SUCH_RSE', files: [{ scope: SCOPE, name: 'f', bytes: 1 }] }),
      404,
      'RSENotFound',
      /NO_SUCH_RSE/,
    );
    await refused(call('post', `/dids/${SCOPE}/ds.exists/dids`, { dids: [{ scope: SCOPE, name: 'ghost' }] }), 404, 'DataIdentifierNotFound', /ghost/);
  });

  it('answers a duplicate DID with 409 DataIdentifierAlreadyExists', async () => {
    await refused(call('post', `/dids/${SCOPE}/ds.exists`, { type: 'DATASET' }), 409, 'DataIdentifierAlreadyExists', /ds\.exists/);
    await refused(call('post', '/dids', [{ scope: SCOPE, name: 'ds.exists', type: 'CONTAINER' }]), 409, 'DataIdentifierAlreadyExists');
    await refused(
      call('post', '/dids', [
        { scope: SCOPE, name: 'twice', type: 'DATASET' },
        { scope: SCOPE, name: 'twice', type: 'DATASET' },
      ]),
      409,
      'DataIdentifierAlreadyExists',
    );
  });

  it('refuses bodies of the wrong types with 400 naming the field', async () => {
    await refused(call('post', '/replicas', { rse: 'BAD_INPUT_RSE', files: [{ scope: SCOPE, name: 'f', bytes: '12' }] }), 400, 'InvalidObject', /files\.0\.bytes/);
    await refused(call('post', '/replicas', { rse: 'BAD_INPUT_RSE', files: 'f' }), 400, 'InvalidObject', /files/);
    await refused(call('post', '/replicas', { files: [] }), 400, 'InvalidObject', /rse/);
    await refused(call('post', '/replicas/list', { dids: 'user.jdoe:x' }), 400, 'InvalidObject', /dids/);
    await refused(call('post', '/replicas/list', { dids: [{ scope: SCOPE, name: 7 }] }), 400, 'InvalidObject', /dids\.0\.name/);
    await refused(call('post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'ds.exists' }], schemes: 5 }), 400, 'InvalidObject', /schemes/);
    await refused(call('post', '/dids', { scope: SCOPE, name: 'x', type: 'DATASET' }), 400, 'InvalidObject', /dids must be a JSON list/);
    await refused(call('post', '/dids', [{ scope: SCOPE, name: 'x', type: 'DATASET', lifetime: 'soon' }]), 400, 'InvalidObject', /dids\[0\]\.lifetime/);
    await refused(call('post', `/dids/${SCOPE}/typed`, { type: 'FOLDER' }), 400, 'InvalidObject', /type/);
    await refused(call('put', `/dids/${SCOPE}/ds.exists/status`, { open: 'no' }), 400, 'InvalidObject', /open/);
    await refused(call('post', `/dids/${SCOPE}/ds.exists/dids`, { dids: { scope: SCOPE, name: 'x' } }), 400, 'InvalidObject', /dids/);
    await refused(call('post', '/dids/attachments', { attachments: [{ scope: SCOPE, name: 'ds.exists' }] }), 400, 'InvalidObject', /attachments\[0\]|attachments\.0\.dids/);
    await refused(call('post', `/dids/${SCOPE}/ds.exists/meta`, { meta: 'run=5' }), 400, 'InvalidObject', /meta/);
    // Declaring replicas bad is for administrators: an ordinary account is refused before its body is read.
    const declareBad = request(api.url).post('/replicas/bad').set('X-Rucio-Auth-Token', adminToken).send(JSON.stringify({ replicas: [42] }));
    await refused(declareBad, 400, /.+/, /replicas\[0\]/);
  });

  it('refuses a body that is not JSON with 400', async () => {
    await refused(raw('post', '/replicas', '{"rse": "BAD_INPUT_RSE", files: ['), 400, 'InvalidObject', /JSON/);
    await refused(raw('post', '/dids', '[{'), 400, 'InvalidObject', /JSON/);
  });

  it('refuses an RSE expression with a stray token, naming it', async () => {
    const response = await refused(
      call('post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'ds.exists' }], rse_expression: 'BAD_INPUT_RSE|)' }),
      400,
      'InvalidRSEExpression',
    );
    expect(response.body.ExceptionMessage).toContain(')');
    await refused(call('post', '/replicas/list', { dids: [{ scope: SCOPE, name: 'ds.exists' }], rse_expression: 'BAD_INPUT_RSE & @' }), 400, 'InvalidRSEExpression', /@/);
  });

  it('refuses unreadable search filters and limits', async () => {
    await refused(call('get', `/dids/${SCOPE}/dids/search?filters=${encodeURIComponent("[{'run': 1}")}`), 400, 'InvalidObject', /filters/);
    await refused(call('get', `/dids/${SCOPE}/dids/search?type=folders`), 400, 'UnsupportedOperation', /folders/);
    await refused(call('get', `/dids/${SCOPE}/dids/search?limit=lots`), 400, /.+/, /limit/);
    await refused(call('get', `/dids/${SCOPE}/dids/search?filters=${encodeURIComponent("[{'run.between': 1}]")}`), 400, /.+/, /run\.between/);
  });
});
