import axios from 'axios';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityType } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { insertIdentity, insertIdentityAccount } from '@tarn/catalogue/repositories/identity.repository.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccountWithScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { FormBrowser, TestOpenIdProvider } from '@tarn/testing/openid-provider.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tarn login --oidc: device and browser logins, tokens renewed on the way', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let provider: TestOpenIdProvider;
  let posix: Awaited<ReturnType<typeof createTestDirectory>>;
  let work: Awaited<ReturnType<typeof createTestDirectory>>;
  let jdoe: { account: string; scope: string };
  const rse = uniqueRseName('OIDC');
  const users: CliUser[] = [];

  const newUser = () => {
    const user = new CliUser({ TARN_URL: tarn.url });
    users.push(user);
    return user;
  };

  /** Runs `tarn login --oidc --flow <flow>` and completes the login in "the user's browser" as soon as tarn shows where. */
  async function login(user: CliUser, flow: 'device' | 'browser', args: string[] = []) {
    let shown = '';
    let approval: Promise<void> | undefined;
    const run = user.run(['login', '--oidc', '--flow', flow, ...args], {}, user.home, (text) => {
      shown += text;
      const url = /open (\S+) in a browser/.exec(shown)?.[1];
      if (!url || approval) return;
      approval =
        flow === 'device'
          ? provider.approveDevice(url, 'jdoe', 'jdoe-secret')
          : new FormBrowser().signIn(url, 'jdoe', 'jdoe-secret', (to) => to.includes('/callback?')).then((callback) => axios.get(callback).then(() => undefined));
    });
    const result = await run;
    await approval;
    return { ...result, shown };
  }

  beforeAll(async () => {
    provider = await TestOpenIdProvider.start({ users: [{ sub: 'sub-jdoe', username: 'jdoe', password: 'jdoe-secret', groups: [] }] });
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', provider.tarnEnv({ TARN_OIDC_CLOCK_SKEW_SECONDS: '0' }));
    jdoe = await createAccountWithScope(db.dataSource, { scope: `user.${randomBytes(3).toString('hex')}` });
    await unitOfWork(db.dataSource, { what: 'OIDC identity' }, async (manager) => {
      const identity = `SUB=sub-jdoe, ISS=${provider.issuer}`;
      await insertIdentity(manager, { identity, identityType: IdentityType.OIDC });
      await insertIdentityAccount(manager, { identity, identityType: IdentityType.OIDC, account: jdoe.account, isDefault: true });
    });
    [posix, work] = await Promise.all([createTestDirectory(), createTestDirectory()]);
    await createRse(db.dataSource, {
      rse,
      protocols: [{ scheme: 'file', hostname: 'localhost', prefix: posix.root, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } }],
    });
  });

  afterAll(async () => {
    for (const user of users) user.drop();
    await tarn?.close();
    await db?.drop();
    await Promise.all([provider?.close(), posix?.drop(), work?.drop()]);
  });

  afterEach(() => provider.setAccessTokenTtl(3600));

  it('logs in with the device authorization grant, keeps the refresh token owner-only and remembers the account', async () => {
    const user = newUser();
    const result = await login(user, 'device');
    expect(result.code).toBe(0);
    expect(result.shown).toMatch(/To log in, open http:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+ in a browser \(code \S+, valid for 10 min\)/);
    expect(result.stdout).toMatch(new RegExp(`^Logged in as ${jdoe.account} at ${tarn.url} with '${provider.issuer}'; token valid until .*, renewed by itself with the refresh token`));
    const tokenFile = /cached in (.*)\)\./.exec(result.stdout)![1];
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(readFileSync(tokenFile, 'utf8'));
    expect(cached.oidc).toMatchObject({ issuer: provider.issuer, clientId: 'tarn-cli', refreshToken: expect.any(String), audience: 'https://tarn.example.org' });
    expect((await provider.stats()).deviceLogins).toBeGreaterThanOrEqual(1);
    // No --account: the login remembered it.
    expect(await user.json(['whoami'])).toMatchObject({ account: jdoe.account });

    // Logging out revokes the refresh token at the provider: it renews nothing any more.
    const loggedOut = await user.run(['logout']);
    expect([loggedOut.code, loggedOut.stderr]).toEqual([0, `Forgot the token of ${jdoe.account} at ${tarn.url}, and revoked its refresh token at the identity provider.\n`]);
    const renewal = await axios.post(`${provider.issuer}/token`, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cached.oidc.refreshToken, client_id: 'tarn-cli' }), {
      validateStatus: () => true,
    });
    expect([renewal.status, renewal.data.error]).toEqual([400, 'invalid_grant']);
  });

  it('logs in with the authorization code flow and PKCE through a listener on 127.0.0.1', async () => {
    const user = newUser();
    const before = (await provider.stats()).codeLogins;
    const result = await login(user, 'browser');
    expect(result.code).toBe(0);
    const url = new URL(/open (\S+) in a browser/.exec(result.shown)![1]);
    expect(url.origin + url.pathname).toBe(`${provider.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'tarn-cli',
      response_type: 'code',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
      resource: 'https://tarn.example.org',
    });
    expect((await provider.stats()).codeLogins).toBe(before + 1);
    expect(await user.json(['whoami'])).toMatchObject({ account: jdoe.account });
  });

  it('renews an expired token with the refresh token, once for several tarn processes at the same time', async () => {
    await provider.setAccessTokenTtl(2);
    const user = newUser();
    expect((await login(user, 'browser')).code).toBe(0);
    await sleep(2200);
    const before = (await provider.stats()).refreshes;
    const runs = await Promise.all([1, 2, 3].map(() => user.run(['--json', 'whoami'])));
    expect(runs.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    expect((await provider.stats()).refreshes).toBe(before + 1);
  });

  it('keeps a long upload going across the expiry of its token', async () => {
    await provider.setAccessTokenTtl(3);
    const user = newUser();
    expect((await login(user, 'browser')).code).toBe(0);
    const path = join(work.root, 'night-4711.raw');
    writeFileSync(path, randomBytes(300_000));
    const before = (await provider.stats()).refreshes;
    const started = Date.now();
    // 300 kB at 60 kB/s: five seconds of writing, longer than the token lives; then registration and verification.
    const result = await user.run(['upload', path, '--scope', jdoe.scope, '--rse', rse, '--limit-rate', '60000', '--timeout', '60s']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Uploaded 1 file\(s\), 300\.0 kB in [\d.]+ s, [\d.]+ kB\/s to OIDC_\w+; 0 skipped \(already there\), 0 failed\.\n/);
    expect(Date.now() - started).toBeGreaterThan(4500);
    expect((await provider.stats()).refreshes).toBeGreaterThan(before);
    const [replica] = await readReplicas(db.dataSource, jdoe.scope, 'night-4711.raw');
    expect(replica).toMatchObject({ state: 'A', bytes: 300_000 });
  });

  it('says the login has ended when the provider refuses the refresh token, and how to log in again', async () => {
    await provider.setAccessTokenTtl(1);
    const user = newUser();
    const result = await login(user, 'browser');
    const tokenFile = /cached in (.*)\)\./.exec(result.stdout)![1];
    const cached = JSON.parse(readFileSync(tokenFile, 'utf8'));
    writeFileSync(tokenFile, JSON.stringify({ ...cached, oidc: { ...cached.oidc, refreshToken: 'revoked-or-forged' } }), { mode: 0o600 });
    await sleep(1200);
    const refused = await user.run(['whoami']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`The login of account '${jdoe.account}' at '${provider.issuer}' has ended \\(invalid_grant.*run 'tarn login --oidc' again`));
  });
});
