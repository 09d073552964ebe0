/**
 * The web UI's session: POST /auth/session puts a Tarn token in an httpOnly, SameSite=Strict cookie; reads work with
 * the cookie alone, changes need the session's CSRF token in X-Tarn-CSRF as well; clients that send their token in a
 * header are not affected; logging out ends the token.
 */
import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';

const PASSWORD = 'web-session-secret';

function sessionCookie(response: request.Response): { value: string; attributes: string } {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((c) => c.startsWith('tarn_session='));
  if (!header) throw new Error(`no tarn_session cookie in ${JSON.stringify(response.headers)}`);
  const [pair, ...attributes] = header.split(';');
  return { value: pair.slice('tarn_session='.length), attributes: attributes.map((a) => a.trim()).join('; ') };
}

describe('the web UI session (cookie and CSRF token)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let jdoe: string;
  let admin: string;

  const login = (body: Record<string, unknown>) => request(api.url).post('/auth/session').set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    jdoe = uniqueAccountName('jdoe');
    admin = uniqueAccountName('ops');
    await createAccount(db.dataSource, { account: jdoe, password: PASSWORD });
    await createAccount(db.dataSource, { account: admin, admin: true, password: PASSWORD });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('logs in into an httpOnly SameSite=Strict cookie that lasts a working day, and never shows the token', async () => {
    const before = Date.now();
    const response = await login({ username: jdoe, password: PASSWORD }).expect(200);
    const cookie = sessionCookie(response);
    expect(cookie.attributes).toMatch(/HttpOnly/i);
    expect(cookie.attributes).toMatch(/SameSite=Strict/i);
    expect(cookie.attributes).toMatch(/Path=\//);
    expect(cookie.attributes).not.toMatch(/Secure/i); // plain HTTP here; over HTTPS (req.secure) it is Secure
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({ account: jdoe, admin: false, expires_at: expect.stringMatching(/ UTC$/), csrf_token: expect.any(String) });
    expect(JSON.stringify(response.body)).not.toContain(cookie.value);
    const lifetime = new Date(response.body.expires_at).getTime() - before;
    expect(lifetime).toBeGreaterThan(8 * 3600_000 - 5_000);
    expect(lifetime).toBeLessThanOrEqual(8 * 3600_000 + 1_000);

    const shown = await request(api.url).get('/auth/session').set('Cookie', `tarn_session=${cookie.value}`).expect(200);
    expect(shown.body).toEqual({ ...response.body, expires_at: expect.any(String) });
  });

  it('refuses a wrong password without setting a cookie, and throttles failed logins as GET /auth/userpass does', async () => {
    const victim = uniqueAccountName('thr');
    await createAccount(db.dataSource, { account: victim, password: PASSWORD });
    const refused = await login({ username: jdoe, password: 'wrong' }).expect(401);
    expect(refused.body.ExceptionClass).toBe('CannotAuthenticate');
    expect(refused.headers['set-cookie']).toBeUndefined();
    for (let i = 0; i < 10; i++) await login({ username: victim, account: victim, password: 'wrong' }).expect(401);
    await login({ username: victim, account: victim, password: 'wrong' }).expect(429);
    const blocked = await login({ username: victim, account: victim, password: PASSWORD }).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['set-cookie']).toBeUndefined();
    expect((await login({ password: PASSWORD }).expect(400)).body.ExceptionMessage).toMatch(/needs a username/);
  });

  it('takes no login from a form another site could post', async () => {
    // <form enctype="text/plain"> with a field named '{"username":"…","password":"…","x":"' sends valid JSON.
    const body = `{"username":"${jdoe}","password":"${PASSWORD}","x":"="}`;
    const plain = await request(api.url).post('/auth/session').set('Content-Type', 'text/plain').send(body).expect(400);
    expect(plain.body.ExceptionMessage).toMatch(/Content-Type: application\/json/);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await request(api.url).post('/auth/session').set('Content-Type', type).send(body);
      expect([type, response.status, response.headers['set-cookie'], response.body.ExceptionMessage]).toEqual([type, 400, undefined, expect.any(String)]);
    }
  });

  it('answers 206 with the accounts when the username may act as several, and logs in to the one named', async () => {
    const person = uniqueAccountName('ann');
    const second = uniqueAccountName('grp');
    await createAccount(db.dataSource, { account: person, password: PASSWORD });
    await createAccount(db.dataSource, { account: second });
    await db.dataSource.query(`INSERT INTO identity_accounts (identity, identity_type, account, is_default) VALUES ($1, 'USERPASS', $2, false)`, [person, second]);
    const choose = await login({ username: person, password: PASSWORD }).expect(206);
    expect(choose.body.accounts.sort()).toEqual([person, second].sort());
    expect(choose.headers['set-cookie']).toBeUndefined();
    const chosen = await login({ username: person, account: second, password: PASSWORD }).expect(200);
    expect(chosen.body.account).toBe(second);
  });

  it('takes changes with the cookie only together with the session CSRF token', async () => {
    const session = await login({ username: jdoe, password: PASSWORD }).expect(200);
    const cookie = `tarn_session=${sessionCookie(session).value}`;
    const other = await login({ username: admin, password: PASSWORD }).expect(200);
    const scope = `user.${jdoe}`;
    const change = (headers: Record<string, string>) => {
      let req = request(api.url).post(`/scopes/${jdoe}/${scope}`);
      for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
      return req;
    };

    const forged = await change({ Cookie: cookie }).expect(401);
    expect(forged.body.ExceptionClass).toBe('AccessDenied');
    expect(forged.body.ExceptionMessage).toMatch(/X-Tarn-CSRF/);
    await change({ Cookie: cookie, 'X-Tarn-CSRF': 'not-the-token' }).expect(401);
    // The CSRF token of another session does not fit this one.
    await change({ Cookie: cookie, 'X-Tarn-CSRF': other.body.csrf_token }).expect(401);
    expect((await db.dataSource.query(`SELECT 1 FROM scopes WHERE scope = $1`, [scope])).length).toBe(0);

    // Reads need no CSRF token; with it, the change is made as the session's account.
    await request(api.url).get('/overview').set('Cookie', cookie).expect(200);
    await change({ Cookie: cookie, 'X-Tarn-CSRF': session.body.csrf_token }).expect(201);
    expect((await db.dataSource.query(`SELECT account FROM scopes WHERE scope = $1`, [scope]))[0].account).toBe(jdoe);
  });

  it('leaves clients that send their token in a header alone, cookie or not', async () => {
    const token = (await api.app.get(AuthenticationService).authenticateUserpass(admin, admin, PASSWORD)).token;
    const session = await login({ username: jdoe, password: PASSWORD }).expect(200);
    const cookie = `tarn_session=${sessionCookie(session).value}`;
    // jdoe may not add a scope for the administrator: that this works shows the header's account acted, without CSRF token.
    await request(api.url).post(`/scopes/${admin}/user.${admin}`).set('Cookie', cookie).set('X-Tarn-CSRF', session.body.csrf_token).expect(401);
    await request(api.url).post(`/scopes/${admin}/user.${admin}`).set('X-Rucio-Auth-Token', token).set('Cookie', cookie).expect(201);
  });

  it('logs out: the token ends and the cookie is cleared', async () => {
    const session = await login({ username: jdoe, password: PASSWORD }).expect(200);
    const cookie = `tarn_session=${sessionCookie(session).value}`;
    await request(api.url).delete('/auth/session').set('Cookie', cookie).expect(401); // a change: CSRF token needed
    const out = await request(api.url).delete('/auth/session').set('Cookie', cookie).set('X-Tarn-CSRF', session.body.csrf_token).expect(200);
    expect(sessionCookie(out)).toEqual({ value: '', attributes: expect.stringMatching(/Max-Age=0/) });
    expect(out.body).toEqual({ end_session_url: null }); // a password login: no identity provider to log out of
    expect((await request(api.url).get('/auth/session').set('Cookie', cookie).expect(401)).body.ExceptionClass).toBe('CannotAuthenticate');
    expect((await request(api.url).get('/auth/session').expect(400)).body.ExceptionClass).toBe('CannotAuthenticate');
    // A token sent in a header is not a session: logging out leaves it working.
    const token = (await api.app.get(AuthenticationService).authenticateUserpass(jdoe, jdoe, PASSWORD)).token;
    await request(api.url).delete('/auth/session').set('X-Rucio-Auth-Token', token).expect(200);
    await request(api.url).get('/auth/validate').set('X-Rucio-Auth-Token', token).expect(200);
  });
});
