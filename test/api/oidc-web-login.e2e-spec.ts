/**
 * The web UI's login through the identity provider (authorization code with PKCE, done by the API), against a real
 * OpenID provider: the session cookie it sets acts as the identity's account and groups; a forged state, a code used
 * twice, a token for another audience, an identity mapped to nobody are refused with a page saying why; an identity of
 * several accounts chooses one.
 */
import request from 'supertest';
import { AccountType } from '@tarn/domain';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';
import { FormBrowser, TestOpenIdProvider } from '@tarn/testing/openid-provider.js';

function cookieOf(response: request.Response, name: string): { value: string; attributes: string } | undefined {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';');
  return { value: pair.slice(name.length + 1), attributes: attributes.map((a) => a.trim()).join('; ') };
}

describe("the web UI's login through the identity provider", () => {
  let db: TestDatabase;
  let api: TestApi;
  /** A Tarn whose audience is not the one the provider puts in its tokens. */
  let elsewhere: TestApi;
  let provider: TestOpenIdProvider;
  let rootToken: string;
  const jdoe = uniqueAccountName('jdoe');
  const analysis = uniqueAccountName('ana');
  const physics = uniqueAccountName('physics');
  const embargo = uniqueScopeName('group');
  let dataset: { scope: string; name: string };

  const admin = (method: 'post' | 'get', path: string) => request(api.url)[method](path).set('X-Rucio-Auth-Token', rootToken);
  const identityOf = (sub: string) => `SUB=${sub}, ISS=${provider.issuer}`;

  /** What a browser does: Tarn's login redirect, the provider's pages, back to Tarn's callback (not yet followed). */
  async function toCallback(tarn: string, username: string, query: Record<string, string> = {}, browser = new FormBrowser()) {
    const start = await request(tarn).get('/auth/oidc/login').query(query);
    expect(start.status).toBe(302);
    const loginCookie = cookieOf(start, 'tarn_oidc_login');
    expect(loginCookie?.attributes).toMatch(/HttpOnly/);
    const callback = await browser.signIn(start.headers.location, username, `${username}-secret`, (url) => url.startsWith(`${tarn}/auth/oidc/callback`));
    return { start, callback: new URL(callback), cookie: `tarn_oidc_login=${loginCookie!.value}`, browser };
  }

  const finish = (tarn: string, callback: URL, cookie?: string) => {
    const call = request(tarn).get(callback.pathname + callback.search);
    return cookie ? call.set('Cookie', cookie) : call;
  };

  beforeAll(async () => {
    provider = await TestOpenIdProvider.start({
      users: [
        { sub: 'sub-jdoe', username: 'jdoe', password: 'jdoe-secret', groups: ['/physics/embargo'] },
        { sub: 'sub-nobody', username: 'nobody', password: 'nobody-secret' },
      ],
    });
    db = await createTestDatabase();
    api = await startTestApi(db, provider.tarnEnv());
    elsewhere = await startTestApi(db, provider.tarnEnv({ TARN_OIDC_AUDIENCE: 'https://elsewhere.example.org', TARN_OIDC_AUDIENCE_PARAMETER: 'audience' }));
    await provider.setWebRedirectUris([`${api.url}/auth/oidc/callback`, `${elsewhere.url}/auth/oidc/callback`]);
    const root = await createAccount(db.dataSource, { admin: true, password: 'root-secret' });
    rootToken = (
      await request(api.url).get('/auth/userpass').set('X-Rucio-Account', root.account).set('X-Rucio-Username', root.account).set('X-Rucio-Password', 'root-secret')
    ).headers['x-rucio-auth-token'];
    await createAccount(db.dataSource, { account: jdoe });
    await createAccount(db.dataSource, { account: analysis });
    await createAccount(db.dataSource, { account: physics, type: AccountType.GROUP });
    await admin('post', `/accounts/${jdoe}/identities`).send({ identity: identityOf('sub-jdoe'), authtype: 'OIDC', email: 'jdoe@example.org' }).expect(201);
    await admin('post', `/accounts/${physics}/attr/oidc_group`).send({ key: 'oidc_group', value: '/physics/embargo' }).expect(201);
    const owner = await createAccount(db.dataSource);
    await createScope(db.dataSource, { scope: embargo, account: owner.account, restricted: true });
    dataset = await createDataset(db.dataSource, { scope: embargo, account: owner.account });
    await admin('post', `/scopes/${embargo}/grants/${physics}`).expect(201);
  });

  afterAll(async () => {
    await api?.close();
    await elsewhere?.close();
    await db?.drop();
    await provider?.close();
  });

  it("logs in with the provider's code, PKCE, state and nonce, to a session cookie acting as the identity's account and groups", async () => {
    const { start, callback, cookie } = await toCallback(api.url, 'jdoe', { next: '/ui/rules?state=STUCK' });
    const asked = new URL(start.headers.location);
    expect(`${asked.origin}${asked.pathname}`).toBe(`${provider.issuer}/auth`);
    expect(Object.fromEntries(asked.searchParams)).toMatchObject({
      client_id: 'tarn-web',
      response_type: 'code',
      redirect_uri: `${api.url}/auth/oidc/callback`,
      code_challenge_method: 'S256',
      resource: 'https://tarn.example.org',
      state: expect.stringMatching(/^[\w-]{20,}$/),
      nonce: expect.stringMatching(/^[\w-]{20,}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(asked.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'wlcg.groups']));
    expect(cookieOf(start, 'tarn_oidc_login')!.attributes).toMatch(/SameSite=Lax/);

    const back = await finish(api.url, callback, cookie);
    expect([back.status, back.headers.location]).toEqual([303, '/ui/rules?state=STUCK']);
    const session = cookieOf(back, 'tarn_session')!;
    expect(session.attributes).toMatch(/HttpOnly/);
    expect(session.attributes).toMatch(/SameSite=Strict/);
    expect(cookieOf(back, 'tarn_oidc_login')!.attributes).toMatch(/Max-Age=0/);
    const shown = await request(api.url).get('/auth/session').set('Cookie', `tarn_session=${session.value}`).expect(200);
    expect(shown.body).toMatchObject({ account: jdoe, admin: false });
    // The provider's group makes the session a member of the Tarn group, which was granted the restricted scope.
    await request(api.url).get(`/dids/${dataset.scope}/${dataset.name}`).set('Cookie', `tarn_session=${session.value}`).expect(200);
    const validated = await request(api.url).get('/auth/validate').set('Cookie', `tarn_session=${session.value}`).expect(200);
    expect(validated.body).toMatchObject({ account: jdoe, kind: 'tarn', identity: identityOf('sub-jdoe'), groups: [physics] });
    // A group suspended in Tarn counts at once, within the session.
    await request(api.url).put(`/accounts/${physics}`).set('X-Rucio-Auth-Token', rootToken).send({ status: 'SUSPENDED' }).expect(200);
    try {
      await request(api.url).get(`/dids/${dataset.scope}/${dataset.name}`).set('Cookie', `tarn_session=${session.value}`).expect(401);
    } finally {
      await request(api.url).put(`/accounts/${physics}`).set('X-Rucio-Auth-Token', rootToken).send({ status: 'ACTIVE' }).expect(200);
    }

    // Logging out ends Tarn's session and names the provider's logout page, which comes back to the web UI.
    const out = await request(api.url).delete('/auth/session').set('Cookie', `tarn_session=${session.value}`).set('X-Tarn-CSRF', shown.body.csrf_token).expect(200);
    const logout = new URL(out.body.end_session_url);
    expect([`${logout.origin}${logout.pathname}`, logout.searchParams.get('client_id'), logout.searchParams.get('post_logout_redirect_uri')]).toEqual([
      `${provider.issuer}/session/end`,
      'tarn-web',
      `${api.url}/ui/`,
    ]);
    await request(api.url).get('/auth/session').set('Cookie', `tarn_session=${session.value}`).expect(401);
  });

  it('refuses an answer whose state is not the one this browser started with, and one without a login waiting', async () => {
    const { callback, cookie } = await toCallback(api.url, 'jdoe');
    const forged = new URL(callback);
    forged.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const refused = await finish(api.url, forged, cookie);
    expect([refused.status, cookieOf(refused, 'tarn_session')]).toEqual([400, undefined]);
    expect(refused.text).toContain('does not belong to the login this browser started');
    // Another browser (no login cookie) cannot finish it either, with the right state.
    const stranger = await finish(api.url, callback);
    expect([stranger.status, cookieOf(stranger, 'tarn_session')]).toEqual([400, undefined]);
    expect(stranger.text).toContain('No login through the identity provider is waiting in this browser');
  });

  it("says what the provider answered when it did not log the person in, and opens no session", async () => {
    const { callback, cookie } = await toCallback(api.url, 'jdoe');
    const denied = new URL(`${api.url}/auth/oidc/callback`);
    denied.search = new URLSearchParams({ error: 'access_denied', error_description: 'the user declined', state: callback.searchParams.get('state')! }).toString();
    const refused = await finish(api.url, denied, cookie);
    expect([refused.status, cookieOf(refused, 'tarn_session')]).toEqual([401, undefined]);
    expect(refused.text).toContain('did not log you in (access_denied: the user declined)');
    // The login is over: the browser forgets it.
    expect(cookieOf(refused, 'tarn_oidc_login')!.attributes).toMatch(/Max-Age=0/);
  });

  it('refuses a code used a second time: the provider exchanges it once', async () => {
    const { callback, cookie } = await toCallback(api.url, 'jdoe');
    expect((await finish(api.url, callback, cookie)).status).toBe(303);
    const replayed = await finish(api.url, callback, cookie);
    expect([replayed.status, cookieOf(replayed, 'tarn_session')]).toEqual([401, undefined]);
    expect(replayed.text).toMatch(/refused the login \(invalid_grant/);
  });

  it("refuses a login whose access token is for another audience than Tarn's", async () => {
    const { callback, cookie } = await toCallback(elsewhere.url, 'jdoe');
    const refused = await finish(elsewhere.url, callback, cookie);
    expect([refused.status, cookieOf(refused, 'tarn_session')]).toEqual([401, undefined]);
    expect(refused.text).toContain('does not include Tarn&#39;s audience &#39;https://elsewhere.example.org&#39;');
  });

  it('refuses an identity mapped to no account, naming it', async () => {
    const { callback, cookie } = await toCallback(api.url, 'nobody');
    const refused = await finish(api.url, callback, cookie);
    expect([refused.status, cookieOf(refused, 'tarn_session')]).toEqual([401, undefined]);
    expect(refused.text).toContain(`The identity &#39;${identityOf('sub-nobody')}&#39; is not mapped to any Tarn account`);
  });

  it('lets an identity of several accounts choose one, and only among them; goes back only into the web UI', async () => {
    await admin('post', `/accounts/${analysis}/identities`).send({ identity: identityOf('sub-jdoe'), authtype: 'OIDC', email: 'jdoe@example.org' }).expect(201);
    const first = await toCallback(api.url, 'jdoe', { next: 'https://evil.example.org/' });
    const choose = await finish(api.url, first.callback, first.cookie);
    expect(choose.status).toBe(303);
    expect(cookieOf(choose, 'tarn_session')).toBeUndefined();
    const offered = new URL(choose.headers.location, api.url);
    expect([offered.pathname, offered.searchParams.get('oidc_accounts')!.split(',').sort(), offered.searchParams.get('next')]).toEqual(['/ui/', [analysis, jdoe].sort(), '/ui/']);

    // The provider remembers the person: choosing goes through it again without a password.
    const chosen = await toCallback(api.url, 'jdoe', { account: analysis }, first.browser);
    const back = await finish(api.url, chosen.callback, chosen.cookie);
    expect(back.status).toBe(303);
    const shown = await request(api.url).get('/auth/session').set('Cookie', `tarn_session=${cookieOf(back, 'tarn_session')!.value}`).expect(200);
    expect(shown.body.account).toBe(analysis);

    // Unmapping the identity from the account ends the session at once, as it would refuse a bearer token.
    await request(api.url).delete(`/accounts/${analysis}/identities`).set('X-Rucio-Auth-Token', rootToken).send({ identity: identityOf('sub-jdoe'), authtype: 'OIDC' }).expect(200);
    const ended = await request(api.url).get('/auth/session').set('Cookie', `tarn_session=${cookieOf(back, 'tarn_session')!.value}`);
    expect([ended.status, ended.body.ExceptionMessage]).toEqual([401, expect.stringContaining(`is no longer mapped to account '${analysis}'`)]);

    const other = await toCallback(api.url, 'jdoe', { account: 'root' }, first.browser);
    const refused = await finish(api.url, other.callback, other.cookie);
    expect([refused.status, cookieOf(refused, 'tarn_session')]).toEqual([401, undefined]);
    expect(refused.text).toContain('may not act as account &#39;root&#39;');
    await request(api.url).get('/auth/oidc/login').query({ account: '../x' }).expect(400);
  });
});
