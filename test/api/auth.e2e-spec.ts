import { jest } from '@jest/globals';
import request from 'supertest';
import { loadConfig } from '@tarn/config';
import { AccountService } from '@tarn/core';
import { AccountType } from '@tarn/domain';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { ApiAppModule } from '../../apps/api/src/api-app.module.js';
import { startHttp } from '../../apps/api/src/bootstrap/start-http.js';
import { freePort } from '@tarn/testing/disposable-postgres.js';
import { BootstrapModule } from '../../apps/api/src/bootstrap/bootstrap.module.js';
import { RootAccountBootstrap } from '../../apps/api/src/bootstrap/root-account.bootstrap.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} UTC$/;

describe('ping and authentication (Rucio REST v1)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let jdoe: CreatedAccount;

  const login = (account: string, username: string, password: string) =>
    request(api.url).get('/auth/userpass').set('X-Rucio-Account', account).set('X-Rucio-Username', username).set('X-Rucio-Password', password);

  async function tokenOf(user: CreatedAccount): Promise<string> {
    const response = await login(user.account, user.account, user.password!).expect(200);
    return response.headers['x-rucio-auth-token'];
  }

  function expectRucioError(response: request.Response, status: number, exceptionClass: string): void {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.ExceptionClass).toBe(exceptionClass);
    expect(response.headers.exceptionclass).toBe(exceptionClass);
    expect(response.body.ExceptionMessage).toEqual(expect.any(String));
    expect(response.headers.exceptionmessage).toEqual(expect.any(String));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    jdoe = await createAccount(db.dataSource, { password: 'secret-jdoe' });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('GET /ping answers without a token, with a version the stock client prints', async () => {
    const response = await request(api.url).get('/ping').expect(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it('GET /auth/userpass gives a token and its expiry (RFC 1123, about an hour ahead) in headers', async () => {
    const before = Date.now();
    const response = await login(jdoe.account, jdoe.account, 'secret-jdoe').expect(200);
    const token = response.headers['x-rucio-auth-token'];
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(response.headers['x-rucio-auth-account']).toBe(jdoe.account);
    const expires = response.headers['x-rucio-auth-token-expires'];
    expect(expires).toMatch(RFC1123);
    const expiresAt = Date.parse(expires.replace(/UTC$/, 'GMT'));
    expect(expiresAt).toBeGreaterThan(before + 3599_000 - 1000);
    expect(expiresAt).toBeLessThan(Date.now() + 3601_000);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['cache-control']).toContain('no-store');
  });

  it('refuses a wrong password, an unknown username, a username not mapped to the account and missing credentials with 401 CannotAuthenticate', async () => {
    const other = await createAccount(db.dataSource, { password: 'secret-other' });
    expectRucioError(await login(jdoe.account, jdoe.account, 'wrong'), 401, 'CannotAuthenticate');
    expectRucioError(await login(jdoe.account, 'nobody', 'secret-jdoe'), 401, 'CannotAuthenticate');
    expectRucioError(await login(jdoe.account, other.account, 'secret-other'), 401, 'CannotAuthenticate');
    expectRucioError(await request(api.url).get('/auth/userpass').set('X-Rucio-Account', jdoe.account), 401, 'CannotAuthenticate');
  });

  it('logs in without X-Rucio-Account as Rucio\'s web UI does: the only account, or 206 with the accounts to choose from', async () => {
    // Exactly the headers rucio/webui's RucioAuthServer.userpassLogin sends when no account was typed in.
    const webuiLogin = (username: string, password: string) =>
      request(api.url).get('/auth/userpass').set('X-Rucio-AppID', 'webui').set('X-Rucio-Username', username).set('X-Rucio-Password', password).set('X-Rucio-VO', 'def');
    const only = await webuiLogin(jdoe.account, 'secret-jdoe').expect(200);
    expect(only.headers['x-rucio-auth-account']).toBe(jdoe.account);
    expect(only.headers['x-rucio-auth-token-expires']).toMatch(RFC1123);
    await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', only.headers['x-rucio-auth-token']).expect(200);

    const group = await createAccount(db.dataSource, { type: AccountType.GROUP });
    const suspended = await createAccount(db.dataSource, {});
    await db.dataSource.query(`UPDATE accounts SET status = 'SUSPENDED' WHERE account = $1`, [suspended.account]);
    await db.dataSource.query(
      `INSERT INTO identity_accounts (identity, identity_type, account, is_default)
       VALUES ($1, 'USERPASS', $2, false), ($1, 'USERPASS', $3, false)`,
      [jdoe.account, group.account, suspended.account],
    );
    const several = await webuiLogin(jdoe.account, 'secret-jdoe').expect(206);
    // A suspended account is not offered; no token is given until one account is named.
    expect(several.headers['x-rucio-auth-accounts'].split(',').sort()).toEqual([jdoe.account, group.account].sort());
    expect(several.headers['x-rucio-auth-token']).toBeUndefined();
    expect(several.headers['access-control-expose-headers']).toContain('X-Rucio-Auth-Accounts');
    expect(JSON.parse(Buffer.from(several.body).toString()).sort()).toEqual([jdoe.account, group.account].sort());
    const chosen = await webuiLogin(jdoe.account, 'secret-jdoe').set('X-Rucio-Account', group.account).expect(200);
    expect(chosen.headers['x-rucio-auth-account']).toBe(group.account);

    expectRucioError(await webuiLogin(jdoe.account, 'wrong'), 401, 'CannotAuthenticate');
    expectRucioError(await webuiLogin('nobody-at-all', 'secret-jdoe'), 401, 'CannotAuthenticate');
    const unmapped = await createAccount(db.dataSource, { password: 'secret-u' });
    await db.dataSource.query(`DELETE FROM identity_accounts WHERE identity = $1`, [unmapped.account]);
    expectRucioError(await webuiLogin(unmapped.account, 'secret-u'), 401, 'CannotAuthenticate');
  });

  it('refuses a login to a suspended account', async () => {
    const suspended = await createAccount(db.dataSource, { password: 'secret-s' });
    await db.dataSource.query(`UPDATE accounts SET status = 'SUSPENDED' WHERE account = $1`, [suspended.account]);
    expectRucioError(await login(suspended.account, suspended.account, 'secret-s'), 401, 'CannotAuthenticate');
  });

  it('answers a protected route without a token with 400 CannotAuthenticate, in body and headers', async () => {
    const response = await request(api.url).get(`/accounts/${jdoe.account}`);
    expectRucioError(response, 400, 'CannotAuthenticate');
  });

  it('answers an unknown token with 401 CannotAuthenticate', async () => {
    const response = await request(api.url).get(`/accounts/${jdoe.account}`).set('X-Rucio-Auth-Token', 'no-such-token');
    expectRucioError(response, 401, 'CannotAuthenticate');
  });

  it('answers an expired token with 401 CannotAuthenticate, and a new login works', async () => {
    const user = await createAccount(db.dataSource, { password: 'secret-exp' });
    const token = await tokenOf(user);
    await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', token).expect(200);
    await db.dataSource.query(`UPDATE tokens SET expired_at = now() - interval '1 second' WHERE account = $1`, [user.account]);
    const response = await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', token);
    expectRucioError(response, 401, 'CannotAuthenticate');
    expect(response.body.ExceptionMessage).toMatch(/expired/);
    await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', await tokenOf(user)).expect(200);
  });

  it('accepts the token as Authorization: Bearer', async () => {
    const token = await tokenOf(jdoe);
    const response = await request(api.url).get('/auth/validate').set('Authorization', `Bearer ${token}`).expect(200);
    expect(response.body.account).toBe(jdoe.account);
    expectRucioError(await request(api.url).get('/auth/validate').set('Authorization', 'Bearer not-a-token'), 401, 'CannotAuthenticate');
  });

  it('GET /auth/validate tells the account, whether it is an administrator and when the token expires', async () => {
    const admin = await createAccount(db.dataSource, { admin: true, password: 'secret-admin' });
    const response = await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', await tokenOf(admin)).expect(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual({ account: admin.account, admin: true, lifetime: expect.stringMatching(RFC1123), kind: 'tarn', identity: null, groups: [] });
    const user = await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', await tokenOf(jdoe)).expect(200);
    expect(user.body).toMatchObject({ account: jdoe.account, admin: false });
  });

  it('accepts and ignores X-Rucio-VO, on login and on other requests', async () => {
    const response = await login(jdoe.account, jdoe.account, 'secret-jdoe').set('X-Rucio-VO', 'xyz').expect(200);
    const token = response.headers['x-rucio-auth-token'];
    const me = await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', token).set('X-Rucio-VO', 'def').expect(200);
    expect(me.body.account).toBe(jdoe.account);
  });
});

describe('the root account bootstrap on the API’s start', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db?.drop();
  });

  /**
   * Starts the API process as its main does (startHttp: ApiAppModule on the test database, on a free port, at the default
   * log level) and returns everything it wrote to stdout and stderr while starting.
   */
  async function start(env: Record<string, string> = {}): Promise<string> {
    const printed: string[] = [];
    const saved = { DATABASE_URL: process.env.DATABASE_URL, TARN_ROOT_PASSWORD: process.env.TARN_ROOT_PASSWORD, TARN_LOG_LEVEL: process.env.TARN_LOG_LEVEL };
    process.env.DATABASE_URL = db.url;
    delete process.env.TARN_ROOT_PASSWORD;
    Object.assign(process.env, env);
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const config = loadConfig({ ...process.env, TARN_PORT: String(await freePort()) });
      const app = await startHttp(ApiAppModule, config, (url) => `Tarn API listening on ${url}`);
      await app.close();
    } finally {
      out.mockRestore();
      err.mockRestore();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    return printed.join('');
  }

  const rootIdentity = async () =>
    (await db.dataSource.query(`SELECT identity, password_hash FROM identities WHERE identity = 'root'`)) as Array<{ password_hash: string }>;

  async function loginAsRoot(password: string): Promise<number> {
    const api = await startTestApi(db);
    try {
      const response = await request(api.url).get('/auth/userpass').set('X-Rucio-Account', 'root').set('X-Rucio-Username', 'root').set('X-Rucio-Password', password);
      return response.status;
    } finally {
      await api.close();
    }
  }

  it('creates root on the API’s first start, with a generated password printed once, last and set apart; a second start prints and changes nothing', async () => {
    const first = await start();
    // What matters, and nothing else: where Tarn listens, then the password (no module or route mapping lines).
    const lines = first.split('\n');
    expect(lines[0]).toMatch(/^Tarn API listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(first).not.toMatch(/Mapped \{|RoutesResolver|InstanceLoader/);
    expect(lines.slice(1)).toEqual([
      '',
      '='.repeat(78),
      " Tarn created the administrator account 'root' with the userpass identity 'root'.",
      ' Its generated password, shown this once only:',
      '',
      expect.stringMatching(/^ {5}[A-Za-z0-9]{24}$/),
      '',
      ' Keep it safe (e.g. in your rucio.cfg); log in with: tarn login --account root',
      ' To choose the password instead, set TARN_ROOT_PASSWORD before the first start.',
      '='.repeat(78),
      '',
    ]);
    const password = lines[6].trim();
    const identity = await rootIdentity();
    expect(identity).toHaveLength(1);
    const [account] = await db.dataSource.query(`SELECT account, status, created_at, updated_at FROM accounts WHERE account = 'root'`);
    expect(await loginAsRoot(password!)).toBe(200);

    const second = await start({ TARN_LOG_LEVEL: 'info' });
    // TARN_LOG_LEVEL=info shows the framework's start-up steps, route mapping included.
    expect(second).toMatch(/Mapped \{\/rules, POST\} route/);
    expect(second).not.toMatch(/password|administrator account/);
    expect(await rootIdentity()).toEqual(identity);
    expect(await db.dataSource.query(`SELECT account, status, created_at, updated_at FROM accounts WHERE account = 'root'`)).toEqual([account]);
    expect(await loginAsRoot(password!)).toBe(200);
  });

  it('takes the password from TARN_ROOT_PASSWORD and does not print it', async () => {
    const moduleRef = await createTestingModule(db, [BootstrapModule]);
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const config = loadConfig({ DATABASE_URL: db.url, TARN_ROOT_PASSWORD: 'chosen-root-password' });
      const bootstrap = new RootAccountBootstrap(moduleRef.get(AccountService), config);
      expect(await bootstrap.ensureRoot()).toEqual({ created: true });
      expect(await bootstrap.ensureRoot()).toEqual({ created: false });
      printed.push(bootstrap.announcement() ?? '');
    } finally {
      write.mockRestore();
      await moduleRef.close();
    }
    expect(printed.join('')).toContain('TARN_ROOT_PASSWORD');
    expect(printed.join('')).not.toContain('chosen-root-password');
    expect(printed).toHaveLength(1);
    expect(await loginAsRoot('chosen-root-password')).toBe(200);
    expect(await loginAsRoot('anything-else')).toBe(401);
  });
});
