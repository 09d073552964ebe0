import request from 'supertest';
import { AccountType } from '@tarn/domain';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';
import { TestOpenIdProvider } from '@tarn/testing/openid-provider.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DEAD_ISSUER = 'http://127.0.0.1:9';

describe('OIDC access tokens on every route', () => {
  let db: TestDatabase;
  let api: TestApi;
  let provider: TestOpenIdProvider;
  let stranger: TestOpenIdProvider;
  let rootToken: string;
  const jdoe = uniqueAccountName('jdoe');
  const analysis = uniqueAccountName('ana');
  const physics = uniqueAccountName('physics');
  const embargo = uniqueScopeName('group');
  let dataset: { scope: string; name: string };

  const admin = (method: 'post' | 'put' | 'get', path: string) => request(api.url)[method](path).set('X-Rucio-Auth-Token', rootToken);
  const asBearer = (token: string, path: string) => request(api.url).get(path).set('Authorization', `Bearer ${token}`);
  const identityOf = (sub: string) => `SUB=${sub}, ISS=${provider.issuer}`;
  const login = (username: string) => provider.loginWithCode(username, `${username}-secret`).then((t) => t.access_token);

  function expectRefused(response: request.Response, fragment: string | RegExp): void {
    expect({ status: response.status, class: response.body.ExceptionClass }).toEqual({ status: 401, class: 'CannotAuthenticate' });
    expect(response.body.ExceptionMessage).toMatch(fragment);
  }

  beforeAll(async () => {
    [provider, stranger] = await Promise.all([
      TestOpenIdProvider.start({
        storageAudiences: ['https://dav.example.org'],
        users: [
          { sub: 'sub-jdoe', username: 'jdoe', password: 'jdoe-secret', groups: ['/physics', '/physics/embargo'] },
          { sub: 'sub-nobody', username: 'nobody', password: 'nobody-secret' },
        ],
      }),
      TestOpenIdProvider.start({ users: [{ sub: 'sub-jdoe', username: 'jdoe', password: 'jdoe-secret' }] }),
    ]);
    db = await createTestDatabase();
    api = await startTestApi(
      db,
      // A second issuer nobody answers for (port 9 of this machine is closed): its tokens cannot be checked.
      provider.tarnEnv({ TARN_OIDC_ISSUERS: `${provider.issuer},${DEAD_ISSUER}`, TARN_OIDC_CLOCK_SKEW_SECONDS: '1', TARN_OIDC_JWKS_COOLDOWN_SECONDS: '0' }),
    );
    const root = await createAccount(db.dataSource, { admin: true, password: 'root-secret' });
    rootToken = (
      await request(api.url).get('/auth/userpass').set('X-Rucio-Account', root.account).set('X-Rucio-Username', root.account).set('X-Rucio-Password', 'root-secret')
    ).headers['x-rucio-auth-token'];
    await createAccount(db.dataSource, { account: jdoe });
    await createAccount(db.dataSource, { account: analysis });
    await createAccount(db.dataSource, { account: physics, type: AccountType.GROUP });
    await admin('post', `/accounts/${jdoe}/identities`).send({ identity: identityOf('sub-jdoe'), authtype: 'OIDC', email: 'jdoe@example.org', default: true }).expect(201);
    await admin('post', `/accounts/${physics}/attr/oidc_group`).send({ key: 'oidc_group', value: '/physics/embargo' }).expect(201);
    const owner = await createAccount(db.dataSource);
    await createScope(db.dataSource, { scope: embargo, account: owner.account, restricted: true });
    dataset = await createDataset(db.dataSource, { scope: embargo, account: owner.account });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await Promise.all([provider?.close(), stranger?.close()]);
  });

  it('accepts a JWT access token of the configured issuer as Authorization: Bearer and as X-Rucio-Auth-Token', async () => {
    const token = await login('jdoe');
    const validated = await asBearer(token, '/auth/validate').expect(200);
    expect(validated.body).toMatchObject({ account: jdoe, admin: false, kind: 'oidc', identity: identityOf('sub-jdoe') });
    const whoami = await request(api.url).get('/accounts/whoami').set('X-Rucio-Auth-Token', token);
    expect(whoami.status).toBe(303);
    expect(whoami.headers.location).toContain(`/accounts/${jdoe}`);
    const oidcConfiguration = await request(api.url).get('/auth/oidc/configuration').expect(200);
    expect(oidcConfiguration.body).toEqual({
      issuers: [provider.issuer, DEAD_ISSUER],
      audience: 'https://tarn.example.org',
      audience_parameter: 'resource',
      client_id: 'tarn-cli',
      scopes: expect.stringContaining('openid'),
      groups_claims: ['wlcg.groups', 'groups'],
      web_login: { issuer: provider.issuer, name: 'Test IAM' },
    });
  });

  it('lets X-Rucio-Account choose among the accounts of an identity, and only among them', async () => {
    await admin('post', `/accounts/${analysis}/identities`).send({ identity: identityOf('sub-jdoe'), authtype: 'OIDC', email: 'jdoe@example.org' }).expect(201);
    const token = await login('jdoe');
    expect((await asBearer(token, '/auth/validate').expect(200)).body.account).toBe(jdoe); // the default mapping
    const chosen = await asBearer(token, '/auth/validate').set('X-Rucio-Account', analysis).expect(200);
    expect(chosen.body.account).toBe(analysis);
    expectRefused(await asBearer(token, '/auth/validate').set('X-Rucio-Account', physics), new RegExp(`may not act as account '${physics}'.*'${analysis}', '${jdoe}'`));
  });

  it('refuses an identity that is mapped to no account, naming the identity and how to map it', async () => {
    const token = await login('nobody');
    expectRefused(await asBearer(token, '/auth/validate'), /SUB=sub-nobody, ISS=.*not mapped to any Tarn account.*rucio-admin identity add --type OIDC/);
  });

  it('refuses tokens of another audience, of another issuer, tampered with or expired, with 401 and what was wrong', async () => {
    const storageToken = (await provider.loginWithCode('jdoe', 'jdoe-secret', 'https://dav.example.org')).access_token;
    const wrongAudience = await asBearer(storageToken, '/auth/validate');
    expectRefused(wrongAudience, /audience "https:\/\/dav.example.org" does not include Tarn's audience 'https:\/\/tarn.example.org'/);
    expect(wrongAudience.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

    const foreign = (await stranger.loginWithCode('jdoe', 'jdoe-secret')).access_token;
    expectRefused(await asBearer(foreign, '/auth/validate'), new RegExp(`issuer '${stranger.issuer}' are not accepted here`));

    // Claims of another user under jdoe's signature; then the same token with a forged issuer.
    const [header, payload, signature] = (await login('jdoe')).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forge = (changes: Record<string, unknown>) => [header, Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url'), signature].join('.');
    expectRefused(await asBearer(forge({ sub: 'sub-root' }), '/auth/validate'), /signature does not verify.*altered/);
    expectRefused(await asBearer(forge({ exp: claims.exp + 86400 }), '/auth/validate'), /signature does not verify/);
    expectRefused(await asBearer([header, payload, ''].join('.'), '/auth/validate'), /signature does not verify|not a valid signed JWT/);
    const unsigned = [Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'), payload, ''].join('.');
    expectRefused(await asBearer(unsigned, '/auth/validate'), /algorithm is not accepted|not a valid signed JWT/);

    await provider.setAccessTokenTtl(1);
    try {
      const shortLived = await login('jdoe');
      await asBearer(shortLived, '/auth/validate').expect(200);
      await sleep(2600); // past exp + the 1 s skew of this test's Tarn
      const expired = await asBearer(shortLived, `/dids/${dataset.scope}/${dataset.name}`);
      expectRefused(expired, /token expired at .*1 s of clock skew allowed.*tarn login --oidc/);
    } finally {
      await provider.setAccessTokenTtl(3600);
    }
  });

  it('answers 503, not 401, when the keys of a configured issuer cannot be fetched, and asks for no keys of unknown issuers', async () => {
    const [header, payload, signature] = (await login('jdoe')).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const ofDeadIssuer = [header, Buffer.from(JSON.stringify({ ...claims, iss: DEAD_ISSUER })).toString('base64url'), signature].join('.');
    const response = await asBearer(ofDeadIssuer, '/auth/validate');
    expect({ status: response.status, class: response.body.ExceptionClass }).toEqual({ status: 503, class: 'ServiceUnavailable' });
    expect(response.body.ExceptionMessage).toMatch(new RegExp(`keys of identity provider '${DEAD_ISSUER}' cannot be fetched.*Try again shortly`));
  });

  it('follows a key rotation: a token signed with a new key is accepted once its keys are read again', async () => {
    const before = await login('jdoe');
    await asBearer(before, '/auth/validate').expect(200);
    const oldKid = (await provider.stats()).signingKid;
    const { kid } = await provider.rotateKeys();
    expect(kid).not.toBe(oldKid);
    const after = await login('jdoe');
    expect(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid).toBe(kid);
    await asBearer(after, '/auth/validate').expect(200);
    await asBearer(before, '/auth/validate').expect(200); // the old key is still published
  });

  it("admits the members of a group to a restricted scope granted to the group, and not after the provider removed them", async () => {
    const path = `/dids/${dataset.scope}/${dataset.name}`;
    const member = await login('jdoe');
    const refusedBeforeGrant = await asBearer(member, path);
    expect(refusedBeforeGrant.status).toBe(401);
    expect(refusedBeforeGrant.body.ExceptionClass).toBe('AccessDenied');

    await admin('post', `/scopes/${embargo}/grants/${physics}`).expect(201);
    const granted = await asBearer(member, path).expect(200);
    expect(granted.body.name).toBe(dataset.name);
    expect((await asBearer(member, '/auth/validate').expect(200)).body.groups).toEqual([physics]);

    await provider.setUser({ sub: 'sub-jdoe', groups: ['/physics'] });
    const next = await login('jdoe');
    expect((await asBearer(next, '/auth/validate').expect(200)).body.groups).toEqual([]);
    const revoked = await asBearer(next, path);
    expect(revoked.status).toBe(401);
    expect(revoked.body.ExceptionClass).toBe('AccessDenied');
    expect(revoked.body.ExceptionMessage).toContain(`Scope '${embargo}' is restricted`);

    // The groups claim may be named `groups` (Keycloak) as well.
    await provider.setUser({ sub: 'sub-jdoe', groups: ['/physics/embargo'] });
    await provider.setGroupsClaim('groups');
    try {
      const keycloakStyle = await login('jdoe');
      expect(JSON.parse(Buffer.from(keycloakStyle.split('.')[1], 'base64url').toString()).groups).toEqual(['/physics/embargo']);
      await asBearer(keycloakStyle, path).expect(200);
    } finally {
      await provider.setGroupsClaim('wlcg.groups');
    }
  });
});
