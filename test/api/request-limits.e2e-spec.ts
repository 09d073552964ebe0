/**
 * One request cannot hold Tarn: bodies are limited per route (bulk routes take more), lists per request, and each
 * limit is answered 413 naming it; a body is read only for a route that takes one, once the caller is known.
 */
import * as http from 'node:http';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { REQUEST_LIMITS } from '../../apps/api/src/http/request-limits.js';

const PASSWORD = 'secret-limits';
const SCOPE = 'user.limits';

interface Answer {
  status: number;
  body: Record<string, string>;
}

describe('request limits', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;

  /** A request with this body, sent whole (Content-Length) or chunked (no length announced). */
  function send(method: string, path: string, body: Buffer, options: { token?: string | null; chunked?: boolean } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const url = new URL(api.url);
      const headers: Record<string, string | number> = options.chunked ? {} : { 'Content-Length': body.length };
      const as = options.token === undefined ? token : options.token;
      if (as) headers['X-Rucio-Auth-Token'] = as;
      const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, string> = {};
          try {
            parsed = JSON.parse(text);
          } catch {
            // a listing or an empty answer
          }
          resolve({ status: res.statusCode!, body: parsed });
        });
      });
      // The server may answer before it read everything, and close; what it answered is what counts.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      if (options.chunked) {
        for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
        req.end();
      } else req.end(body);
    });
  }

  /** A JSON body of about `bytes` bytes: a list of DIDs, whose length stays under the list limit. */
  const bigDids = (bytes: number) => {
    const name = 'x'.repeat(Math.ceil(bytes / REQUEST_LIMITS.listItems));
    return Buffer.from(JSON.stringify({ dids: Array.from({ length: REQUEST_LIMITS.listItems }, () => ({ scope: SCOPE, name })) }));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createScope(db.dataSource, { scope: SCOPE, account: 'jdoe' });
    token = (await api.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', PASSWORD)).token;
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('answers 413 naming the limit to a body larger than an ordinary route takes (1 MiB)', async () => {
    expect((await send('POST', `/dids/${SCOPE}/ds`, Buffer.from('{"type": "DATASET"}'))).status).toBe(201);
    const body = Buffer.from(JSON.stringify({ meta: { notes: 'n'.repeat(REQUEST_LIMITS.bodyBytes) } }));
    for (const chunked of [false, true]) {
      const answer = await send('POST', `/dids/${SCOPE}/ds/meta`, body, { chunked });
      expect(answer.status).toBe(413);
      expect(answer.body.ExceptionMessage).toMatch(/POST \/dids\/:scope\/:name\/meta may be at most 1 MiB \(1,048,576 bytes\)/);
    }
    const stored = await db.dataSource.query(`SELECT 1 FROM did_meta WHERE scope = $1 AND meta ? 'notes'`, [SCOPE]);
    expect(stored).toEqual([]);
  });

  it('takes more on bulk routes (4 MiB), and answers 413 above that', async () => {
    const within = await send('POST', '/replicas/list', bigDids(2 * 1024 * 1024));
    expect(within.status).not.toBe(413);
    for (const chunked of [false, true]) {
      const answer = await send('POST', '/replicas/list', bigDids(REQUEST_LIMITS.bulkBodyBytes + 1024), { chunked });
      expect(answer.status).toBe(413);
      expect(answer.body.ExceptionMessage).toMatch(/POST \/replicas\/list may be at most 4 MiB \(4,194,304 bytes\)/);
    }
  });

  it('answers 413 to a list longer than one request may carry (10,000), naming where', async () => {
    const dids = Array.from({ length: REQUEST_LIMITS.listItems + 1 }, (_, i) => ({ scope: SCOPE, name: `f${i}` }));
    const answer = await send('POST', '/replicas/list', Buffer.from(JSON.stringify({ dids })));
    expect(answer.status).toBe(413);
    expect(answer.body.ExceptionMessage).toMatch(/body\.dids .* lists 10,001 items; one request may list at most 10,000/);
    const atLimit = await send('POST', '/replicas/list', Buffer.from(JSON.stringify({ dids: dids.slice(1) })));
    expect(atLimit.status).not.toBe(413);
  });

  it('takes fewer items where each is heavy work of its own (a rule per DID: 1,000), and says so', async () => {
    const dids = Array.from({ length: 1001 }, (_, i) => ({ scope: SCOPE, name: `f${i}` }));
    const body = (list: unknown[]) => Buffer.from(JSON.stringify({ dids: list, copies: 1, rse_expression: 'SITE_A' }));
    const answer = await send('POST', '/rules', body(dids));
    expect(answer.status).toBe(413);
    expect(answer.body.ExceptionMessage).toMatch(/body\.dids of the body of POST \/rules\/? lists 1,001 items; one request may list at most 1,000/);
    const atLimit = await send('POST', '/rules', body(dids.slice(1)));
    expect({ status: atLimit.status, exceptionClass: atLimit.body.ExceptionClass }).toEqual({ status: 404, exceptionClass: 'DataIdentifierNotFound' });
  });

  it('never reads the body of a caller without a token, nor of a route that takes none', async () => {
    const huge = Buffer.alloc(REQUEST_LIMITS.bulkBodyBytes * 2, 0x5b); // '[[[[...': never valid, never parsed
    const anonymous = await send('POST', '/replicas', huge, { token: null });
    expect({ status: anonymous.status, exceptionClass: anonymous.body.ExceptionClass }).toEqual({ status: 400, exceptionClass: 'CannotAuthenticate' });
    const ping = await send('GET', '/ping', huge, { token: null });
    expect(ping.status).toBe(200);
  });
});
