/**
 * Bytes that cannot be text are a 400 that says where, never a 500: NUL in metadata keys, values, names and search
 * parameters, JSON nested 1,500 deep, invalid UTF-8 in the body, the path or the query, unpaired surrogates,
 * repeated query parameters and dates PostgreSQL cannot store. Nothing of such a request is written.
 */
import * as http from 'node:http';
import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

const PASSWORD = 'secret-bad-bytes';
const SCOPE = 'user.bytes';
const DATASET = 'ds.bytes';

describe('bad bytes are 4xx, never 5xx', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;
  let adminToken: string;

  /** Sends exactly these bytes (supertest would re-encode a string body). */
  function raw(method: string, path: string, body?: Buffer, as = token): Promise<{ status: number; body: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      const url = new URL(api.url);
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, headers: { 'X-Rucio-Auth-Token': as, ...(body ? { 'Content-Length': body.length } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const isJson = /json/.test(res.headers['content-type'] ?? '');
            resolve({ status: res.statusCode!, body: text && isJson ? JSON.parse(text) : { text } });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  const json = (method: string, path: string, text: string) => raw(method, path, Buffer.from(text, 'utf8'));

  async function refused(answer: Promise<{ status: number; body: Record<string, string> }>, message: RegExp): Promise<void> {
    const { status, body } = await answer;
    expect({ status, exceptionClass: body.ExceptionClass }).toEqual({ status: 400, exceptionClass: expect.any(String) });
    expect(body.ExceptionMessage).toMatch(message);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createScope(db.dataSource, { scope: SCOPE, account: 'jdoe' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    adminToken = (await api.app.get(AuthenticationService).authenticateUserpass('root', 'root', PASSWORD)).token;
    await request(api.url).post(`/dids/${SCOPE}/${DATASET}`).set('X-Rucio-Auth-Token', token).send({ type: 'DATASET' }).expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('refuses NUL in metadata keys and values, naming where', async () => {
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta`, '{"meta": {"ru\\u0000n": 1}}'), /key in body\.meta .*NUL/);
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta`, '{"meta": {"run": "47\\u000011"}}'), /body\.meta\.run .*NUL/);
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta/run`, '{"value": ["a", "b\\u0000"]}'), /body\.value\[1\] .*NUL/);
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta/ru%00n`, '{"value": 1}'), /path .*NUL/);
    await refused(json('POST', '/dids/bulkdidsmeta', `{"dids": [{"scope": "${SCOPE}", "name": "${DATASET}", "meta": {"\\u0000": 1}}]}`), /NUL/);
    const identity = Buffer.from('{"identity": "a\\u0000b", "authtype": "USERPASS"}');
    await refused(raw('DELETE', '/accounts/jdoe/identities', identity, adminToken), /body\.identity .*NUL/);
  });

  it('refuses NUL in search parameters and names', async () => {
    await refused(raw('GET', `/dids/${SCOPE}/dids/search?filters=${encodeURIComponent("[{'run': 'a\u0000'}]")}`), /query .*NUL/);
    await refused(raw('GET', `/dids/${SCOPE}/dids/search?run=4711%00`), /query .*NUL/);
    await refused(raw('GET', `/dids/${SCOPE}/na%00me`), /path .*NUL/);
    await refused(raw('GET', `/rules?name=x%00`), /query .*NUL/);
  });

  it('refuses JSON nested 1,500 deep, naming the limit', async () => {
    const deep = `{"meta": {"run": ${'['.repeat(1500)}1${']'.repeat(1500)}}}`;
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta`, deep), /nested deeper than 32 levels/);
    await refused(json('POST', '/rules', `${'['.repeat(1500)}${']'.repeat(1500)}`), /nested deeper than 32 levels/);
    const ok = `{"meta": {"run": ${'['.repeat(20)}1${']'.repeat(20)}}}`;
    expect((await json('POST', `/dids/${SCOPE}/${DATASET}/meta`, ok)).status).toBe(201);
  });

  it('refuses invalid UTF-8 in the body, the path and the query', async () => {
    const body = Buffer.concat([Buffer.from('{"meta": {"run": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    await refused(raw('POST', `/dids/${SCOPE}/${DATASET}/meta`, body), /not valid UTF-8/);
    await refused(raw('GET', `/dids/${SCOPE}/%FF%FE`), /path .*not valid percent-encoded UTF-8/);
    await refused(raw('GET', `/dids/${SCOPE}/dids/search?name=%C3%28`), /query .*not valid percent-encoded UTF-8/);
    await refused(json('POST', `/dids/${SCOPE}/${DATASET}/meta`, '{"meta": {"run": "\\ud800"}}'), /surrogate/);
  });

  it('refuses repeated parameters and dates out of range instead of failing on them', async () => {
    await refused(raw('GET', '/replicas/suspicious?younger_than=2026-01-01&younger_than=2026-02-01'), /younger_than.*once/);
    await refused(raw('GET', '/rules?updated_before=-130314'), /updated_before/);
    await refused(raw('GET', '/rules?created_after=275760-01-01'), /created_after/);
  });

  it('wrote none of it', async () => {
    const rows: { meta: string }[] = await db.dataSource.query(`SELECT meta::text AS meta FROM did_meta WHERE scope = $1 AND name = $2`, [SCOPE, DATASET]);
    const stored = rows.map((r) => r.meta).join();
    expect(stored).not.toContain('\\u0000');
    expect(stored).not.toContain('4711');
  });
});
