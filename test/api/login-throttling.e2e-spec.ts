/**
 * Login throttling, over two API processes sharing one catalogue (the counters live in it): repeated failed logins of
 * an account from an address, of an account from many addresses, and of many accounts from one address are refused
 * with 429 and Retry-After past the thresholds of `configs` section `login` (the right password too), each block is
 * logged once, and other accounts and addresses are not slowed. X-Forwarded-For counts only from a trusted proxy.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { captureOutput, type CapturedOutput } from '@tarn/testing/output.js';

jest.setTimeout(120_000);

const PASSWORD = 'throttle-password';

describe('login throttling', () => {
  let db: TestDatabase;
  let apis: TestApi[];
  let direct: TestApi;
  let output: CapturedOutput;
  let turn = 0;

  /** A login through one API process or the other, from `address` (as the trusted proxy on 127.0.0.1 reports it). */
  const login = (account: string, password: string, address: string, api = apis[turn++ % apis.length]) =>
    request(api.url)
      .get('/auth/userpass')
      .set('X-Forwarded-For', address)
      .set('X-Rucio-Account', account)
      .set('X-Rucio-Username', account)
      .set('X-Rucio-Password', password);

  const statuses = async (attempts: number, attempt: (i: number) => request.Test) => {
    const seen: number[] = [];
    for (let i = 0; i < attempts; i++) seen.push((await attempt(i)).status);
    return seen;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const account of ['alice', 'bob', 'carol', 'dave', 'erin']) await createAccount(db.dataSource, { account, password: PASSWORD });
    await db.dataSource.query(
      `INSERT INTO configs (section, opt, value) VALUES ('login', 'failures_per_account', '15'), ('login', 'failures_per_address', '20')`,
    );
    apis = [await startTestApi(db, { TARN_TRUST_PROXY: 'loopback' }), await startTestApi(db, { TARN_TRUST_PROXY: 'loopback' })];
    direct = await startTestApi(db);
    output = captureOutput();
  });

  afterAll(async () => {
    output?.restore();
    for (const api of [...(apis ?? []), direct]) await api?.close();
    await db?.drop();
  });

  it('refuses an account from an address after 10 failures, the right password too, for 15 minutes; logged once', async () => {
    const wrong = await statuses(30, () => login('alice', 'wrong', '192.0.2.1'));
    expect(wrong).toEqual([...Array(10).fill(401), ...Array(20).fill(429)]);
    const right = await login('alice', PASSWORD, '192.0.2.1');
    expect({ status: right.status, exceptionClass: right.headers.exceptionclass }).toEqual({ status: 429, exceptionClass: 'CannotAuthenticate' });
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(880);
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect(right.body.ExceptionMessage).toMatch(/Too many failed logins for account 'alice' from 192\.0\.2\.1: logins are refused for \d+ s/);
    expect(output.lines(/Too many failed logins/)).toEqual([expect.stringContaining("account 'alice' from 192.0.2.1")]);
  });

  it('does not slow other accounts, nor the same account from another address', async () => {
    expect((await login('bob', PASSWORD, '192.0.2.1')).status).toBe(200);
    expect((await login('alice', PASSWORD, '192.0.2.2')).status).toBe(200);
  });

  it('refuses an account tried from many addresses past failures_per_account', async () => {
    const wrong = await statuses(16, (i) => login('carol', 'wrong', `198.51.100.${i + 1}`));
    expect(wrong).toEqual([...Array(15).fill(401), 429]);
    expect((await login('carol', PASSWORD, '198.51.100.200')).status).toBe(429);
    expect((await login('bob', PASSWORD, '198.51.100.200')).status).toBe(200);
  });

  it('refuses an address trying many accounts past failures_per_address', async () => {
    const wrong = await statuses(21, (i) => login(`nobody${i}`, 'wrong', '203.0.113.9'));
    expect(wrong).toEqual([...Array(20).fill(401), 429]);
    expect((await login('dave', PASSWORD, '203.0.113.9')).status).toBe(429);
    expect((await login('dave', PASSWORD, '203.0.113.10')).status).toBe(200);
    expect(output.lines(/Too many failed logins/)).toHaveLength(3);
  });

  it('counts in the catalogue, and believes X-Forwarded-For only from a trusted proxy', async () => {
    expect((await login('erin', 'wrong', '192.0.2.77', direct)).status).toBe(401);
    const keys = (await db.dataSource.query(`SELECT key FROM login_throttle WHERE key LIKE 'login-pair:erin|%'`)).map((r: { key: string }) => r.key);
    expect(keys).toEqual([expect.stringMatching(/^login-pair:erin\|(::ffff:)?127\.0\.0\.1$/)]);
  });
});
