import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hashPath } from '@tarn/domain';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestBucket, createTestDirectory, testS3Server } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

const PASSWORD = 'cli-secret';

describe('tarn: every command against a running Tarn with posix and S3 RSEs', () => {
  let db: TestDatabase;
  let api: TestTarn;
  let root: CliUser;
  let posix: Awaited<ReturnType<typeof createTestDirectory>>;
  let bucket: Awaited<ReturnType<typeof createTestBucket>>;
  let work: Awaited<ReturnType<typeof createTestDirectory>>;
  const s3 = testS3Server();

  beforeAll(async () => {
    db = await createTestDatabase();
    // The server side (replica-registrar) reads S3 credentials from its environment too.
    Object.assign(process.env, { TARN_S3_ACCESS_KEY_ID: s3.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, TARN_S3_REGION: s3.region });
    api = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    posix = await createTestDirectory();
    bucket = await createTestBucket();
    work = await createTestDirectory();
    // S3 credentials from the environment, the way libs/storage reads them (the RSE protocol carries none).
    root = new CliUser({
      TARN_URL: api.url,
      TARN_ACCOUNT: 'root',
      TARN_S3_ACCESS_KEY_ID: s3.accessKeyId,
      TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      TARN_S3_REGION: s3.region,
    });
  });

  afterAll(async () => {
    root?.drop();
    await Promise.all([posix?.drop(), bucket?.drop(), work?.drop()]);
    await api?.close();
    await db?.drop();
  });

  const file = (name: string, bytes: number) => {
    const path = join(work.root, name);
    writeFileSync(path, randomBytes(bytes));
    return path;
  };

  it('logs in, caches the token owner-only, and says who it is', async () => {
    const out = await root.ok(['login', '--password', PASSWORD]);
    expect(out).toMatch(/Logged in as root at http:\/\/127\.0\.0\.1:\d+; token valid until/);
    const tokenFile = /cached in (.*)\)\./.exec(out)![1];
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const me = await root.json(['whoami']);
    expect(me).toMatchObject({ account: 'root', admin: true, status: 'ACTIVE' });
    expect(await root.ok(['whoami'])).toMatch(/^account: +root$/m);
  });

  it('manages RSEs: add, protocols, attributes, limits, usage, distances, list, show', async () => {
    await root.ok(['rse', 'add', 'CLI_POSIX', '--qos', 'SAFE']);
    await root.ok(['rse', 'add-protocol', 'CLI_POSIX', '--scheme', 'file', '--prefix', posix.root]);
    await root.ok(['rse', 'add', 'CLI_S3']);
    await root.ok(['rse', 'set-attr', 'CLI_S3', 'QOS', 'SAFE']);
    const p = bucket.protocol;
    await root.ok(['rse', 'add-protocol', 'CLI_S3', '--scheme', p.scheme, '--hostname', p.hostname, '--port', String(p.port), '--prefix', p.prefix]);
    await root.ok(['rse', 'set-attr', 'CLI_POSIX', 'tier', '1']);
    await root.ok(['rse', 'set-attr', 'CLI_POSIX', 'scratch', 'true']);
    await root.ok(['rse', 'del-attr', 'CLI_POSIX', 'scratch']);
    await root.ok(['rse', 'set-limit', 'CLI_POSIX', 'MinFreeSpace', '1GB']);
    await root.ok(['rse', 'distance', 'CLI_S3', 'CLI_POSIX', '2']);
    await root.ok(['rse', 'distance', 'CLI_S3', 'CLI_POSIX', '3']);
    const distance = await root.json(['rse', 'distance', 'CLI_S3', 'CLI_POSIX']);
    expect(distance[0].distance).toBe(3);

    const listed = await root.json(['rse', 'list', '--expression', 'QOS=SAFE']);
    expect(listed.map((r: any) => r.rse).sort()).toEqual(['CLI_POSIX', 'CLI_S3']);
    const table = await root.ok(['rse', 'list', '-e', 'tier=1']);
    expect(table.split('\n')[0]).toMatch(/^RSE +TYPE +QOS/);
    expect(table).toMatch(/^CLI_POSIX +DISK +SAFE/m);
    expect(table).not.toContain('CLI_S3');
    const shown = await root.json(['rse', 'show', 'CLI_POSIX']);
    expect(shown).toMatchObject({ rse: 'CLI_POSIX', attributes: { tier: 1, QOS: 'SAFE' }, limits: { MinFreeSpace: 1e9 } });
    expect(shown.attributes.scratch).toBeUndefined();
    expect(await root.ok(['rse', 'show', 'CLI_S3'])).toMatch(new RegExp(`protocols:\\n  ${p.scheme.replace('+', '\\+')}://127\\.0\\.0\\.1:${p.port}`));
    expect(await root.json(['rse', 'usage', 'CLI_POSIX'])).toEqual(expect.any(Array));
  });

  it('adds and lists scopes, shows account usage and limits', async () => {
    await root.ok(['scope', 'add', 'user.root']);
    const scopes = await root.json(['scope', 'list', '--owner', 'root']);
    expect(scopes).toEqual([{ scope: 'user.root', account: 'root' }]);
    expect(await root.ok(['scope', 'list'])).toMatch(/^user\.root +root$/m);
    expect(await root.json(['account', 'limits'])).toEqual({ local: expect.any(Object), global: expect.any(Object) });
    expect(await root.json(['account', 'usage'])).toEqual({ local: expect.any(Array), global: expect.any(Array) });
  });

  it('uploads a directory into a new dataset on the posix RSE, with metadata and lifetime, and lists it', async () => {
    mkdirSync(join(work.root, 'night1'));
    const paths = ['a.fits', 'b.fits', 'c.fits'].map((n) => file(join('night1', n), 50_000 + n.charCodeAt(0)));
    const out = await root.json(['upload', join(work.root, 'night1'), '--scope', 'user.root', '--rse', 'CLI_POSIX', '--dataset', 'night1', '--lifetime', '30d', '--meta', 'run=4711', '--meta', 'telescope=north', '--timeout', '5s']);
    expect(out.map((r: any) => [r.did, r.action, r.state])).toEqual([
      ['user.root:a.fits', 'written', 'AVAILABLE'],
      ['user.root:b.fits', 'written', 'AVAILABLE'],
      ['user.root:c.fits', 'written', 'AVAILABLE'],
    ]);
    // On storage at the deterministic path, byte for byte.
    expect(readFileSync(join(posix.root, hashPath('user.root', 'a.fits')))).toEqual(readFileSync(paths[0]));

    const ds = await root.json(['did', 'show', 'user.root:night1']);
    expect(ds).toMatchObject({ type: 'DATASET', length: 3, meta: { run: 4711, telescope: 'north' } });
    const expires = Date.parse(ds.expired_at) - Date.now();
    expect(Math.abs(expires - 30 * 86400_000)).toBeLessThan(120_000);
    const content = await root.json(['did', 'list', 'user.root:night1']);
    expect(content.map((d: any) => d.name)).toEqual(['a.fits', 'b.fits', 'c.fits']);
    const found = await root.json(['did', 'list', 'user.root', '--filter', 'run>=4700', '--type', 'all']);
    expect(found.map((d: any) => d.name).sort()).toEqual(['a.fits', 'b.fits', 'c.fits', 'night1']);
    expect((await root.json(['did', 'list', 'user.root', '--filter', 'run<4700', '--type', 'all'])).length).toBe(0);

    // The upload is protected by a rule on the RSE, with the lifetime.
    const rules = await root.json(['rule', 'list', '--did', 'user.root:night1']);
    expect(rules).toEqual([expect.objectContaining({ rse_expression: 'CLI_POSIX', state: 'OK', copies: 1 })]);

    // Re-running skips everything.
    const again = await root.json(['upload', join(work.root, 'night1'), '--scope', 'user.root', '--rse', 'CLI_POSIX', '--dataset', 'night1']);
    expect(again.map((r: any) => r.action)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('uploads to S3 and downloads a dataset, choosing posix first, verifying checksums and skipping what is done', async () => {
    const path = file('s3only.dat', 300_000);
    await root.ok(['upload', path, '--scope', 'user.root', '--rse', 'CLI_S3', '--dataset', 'mixed']);
    const other = file('posix.dat', 1234);
    await root.ok(['upload', other, '--scope', 'user.root', '--rse', 'CLI_POSIX', '--dataset', 'mixed']);
    await root.ok(['did', 'add', 'user.root:box', '--type', 'container']);
    await root.ok(['did', 'attach', 'user.root:box', 'user.root:mixed', 'user.root:night1']);

    const dest = join(work.root, 'dl');
    const got = await root.json(['download', 'user.root:box', '--dir', dest]);
    const byName = Object.fromEntries(got.map((r: any) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['a.fits', 'b.fits', 'c.fits', 'posix.dat', 's3only.dat']);
    expect(byName['s3only.dat']).toMatchObject({ rse: 'CLI_S3', action: 'downloaded' });
    expect(byName['posix.dat']).toMatchObject({ rse: 'CLI_POSIX', action: 'downloaded' });
    expect(readFileSync(join(dest, 'user.root', 's3only.dat'))).toEqual(readFileSync(path));

    const again = await root.json(['download', 'user.root:box', '--dir', dest]);
    expect(again.every((r: any) => r.action === 'skipped')).toBe(true);

    // A local copy with other bytes is left alone and reported, then fetched again when --overwrite says so.
    const changed = randomBytes(1234);
    writeFileSync(join(dest, 'user.root', 'posix.dat'), changed);
    const kept = await root.run(['download', 'user.root:posix.dat', '--dir', dest]);
    expect([kept.code, kept.stderr]).toEqual([1, expect.stringContaining('exists with other content and is left as it is; run again with --overwrite')]);
    expect(readFileSync(join(dest, 'user.root', 'posix.dat'))).toEqual(changed);
    const repaired = await root.json(['download', 'user.root:posix.dat', '--dir', dest, '--overwrite']);
    expect(repaired[0].action).toBe('downloaded');
    expect(readFileSync(join(dest, 'user.root', 'posix.dat'))).toEqual(readFileSync(other));

    const recursive = await root.json(['did', 'list', 'user.root:box', '--recursive']);
    expect(recursive.map((d: any) => `${d.level}:${d.name}`)).toEqual(
      expect.arrayContaining(['0:mixed', '1:s3only.dat', '1:posix.dat', '0:night1', '1:a.fits']),
    );
    await root.ok(['did', 'detach', 'user.root:box', 'user.root:mixed']);
    expect((await root.json(['did', 'list', 'user.root:box'])).map((d: any) => d.name)).toEqual(['night1']);
    await root.ok(['did', 'set-meta', 'user.root:box', 'campaign=2026a']);
    expect((await root.json(['did', 'show', 'user.root:box'])).meta).toEqual({ campaign: '2026a' });
    await root.ok(['did', 'close', 'user.root:mixed']);
    expect((await root.json(['did', 'show', 'user.root:mixed'])).open).toBe(false);
  });

  it('registers files already on an RSE, with checksums computed from storage', async () => {
    const bytes = randomBytes(4096);
    const target = join(posix.root, hashPath('user.root', 'inplace.dat'));
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, bytes);
    const out = await root.json(['register', 'inplace.dat', '--rse', 'CLI_POSIX', '--scope', 'user.root', '--dataset', 'registered']);
    expect(out).toEqual([expect.objectContaining({ name: 'inplace.dat', bytes: 4096, action: 'registered', state: 'AVAILABLE' })]);
    const replicas = await root.json(['replica', 'list', 'user.root:registered']);
    expect(replicas).toEqual([expect.objectContaining({ name: 'inplace.dat', rse: 'CLI_POSIX', state: 'AVAILABLE', pfn: `file://localhost${posix.root}/${hashPath('user.root', 'inplace.dat')}` })]);
    const missing = await root.run(['register', 'nothere.dat', '--rse', 'CLI_POSIX', '--scope', 'user.root']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^tarn: 1 of 1 file\(s\) were not registered: user\.root:nothere\.dat: not on RSE 'CLI_POSIX' at .*; upload it with 'tarn upload' instead\n$/);
    const scoped = join(posix.root, hashPath('user.root', 'scoped.dat'));
    mkdirSync(join(scoped, '..'), { recursive: true });
    writeFileSync(scoped, bytes);
    expect(await root.json(['register', 'user.root:scoped.dat', '--rse', 'CLI_POSIX'])).toEqual([expect.objectContaining({ scope: 'user.root', name: 'scoped.dat', action: 'registered' })]);
    const unscoped = await root.run(['register', 'other.dat', '--rse', 'CLI_POSIX']);
    expect(unscoped.code).toBe(2);
    expect(unscoped.stderr).toMatch(/^tarn: 'other\.dat' is not a DID: write scope:name/);
  });

  it('adds, shows (with locks), updates, moves and deletes rules', async () => {
    const [id] = await root.json(['rule', 'add', 'user.root:registered', '--rses', 'QOS=SAFE', '--copies', '1', '--lifetime', '1d', '--comment', 'keep']);
    const shown = await root.json(['rule', 'show', id, '--wait', '30s', '--interval', '0.2']);
    expect(shown).toMatchObject({ id, state: 'OK', locks: [expect.objectContaining({ name: 'inplace.dat', rse: 'CLI_POSIX', state: 'OK' })] });
    const text = await root.ok(['rule', 'show', id]);
    expect(text).toMatch(/^state: +OK \(locks OK 1, replicating 0, stuck 0\)$/m);
    expect(text).toMatch(/^user\.root:inplace\.dat +CLI_POSIX +OK/m);
    // No limit is set on CLI_POSIX: Rucio's wire says bytes_limit 0 there, tarn says what it means.
    expect(await root.ok(['account', 'usage'])).toMatch(/^CLI_POSIX +\d+ +[\d.]+ k?B +no limit +no limit$/m);
    await root.ok(['rule', 'update', id, '--locked', 'true', '--comment', 'locked now']);
    expect((await root.json(['rule', 'show', id])).locked).toBe(true);
    const locked = await root.run(['rule', 'delete', id]);
    expect(locked.code).not.toBe(0);
    expect(locked.stderr.trim().split('\n')).toHaveLength(1);
    await root.ok(['rule', 'update', id, '--locked', 'false']);
    const listed = await root.ok(['rule', 'list']);
    expect(listed).toContain(id);
    // --owner filters; it must not be taken for the global --account (who logs in).
    expect(await root.ok(['rule', 'list', '--owner', 'all'])).toContain(id);
    expect(await root.ok(['rule', 'list', '--owner', 'nobody'])).not.toContain(id);
    const moved = await root.json(['rule', 'move', id, 'tier=1']);
    expect(moved.child_rule_id).toMatch(/^[0-9a-f-]{32,36}$/);
    // The daemons copy the file to the child's RSE; once the child is OK the parent is released.
    expect(await root.json(['rule', 'show', moved.child_rule_id, '--wait', '30s', '--interval', '0.2'])).toMatchObject({ state: 'OK' });
    const deadline = Date.now() + 30_000;
    while ((await root.run(['rule', 'show', id])).code !== 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await root.run(['rule', 'show', id])).code).toBe(4);
    await root.ok(['rule', 'delete', moved.child_rule_id]);
    expect((await root.run(['rule', 'show', moved.child_rule_id])).code).toBe(4);
  });

  it('declares a replica bad', async () => {
    const path = file('doomed.dat', 100);
    await root.ok(['upload', path, '--scope', 'user.root', '--rse', 'CLI_POSIX', '--no-rule']);
    await root.ok(['replica', 'declare-bad', 'user.root:doomed.dat', '--rse', 'CLI_POSIX', '--reason', 'disk died']);
    const replicas = await root.json(['replica', 'list', 'user.root:doomed.dat', '--all-states']);
    expect(replicas[0]).toMatchObject({ rse: 'CLI_POSIX', state: 'BAD' });
  });

  describe('errors: one clear line and a non-zero exit', () => {
    const oneLine = (stderr: string) => {
      expect(stderr.endsWith('\n')).toBe(true);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      return stderr.trimEnd();
    };

    it('wrong password', async () => {
      const user = new CliUser({ TARN_URL: api.url, TARN_ACCOUNT: 'root' });
      const result = await user.run(['login', '--password', 'wrong']);
      expect(result.code).toBe(3);
      expect(oneLine(result.stderr)).toMatch(/^tarn: Logging in as account 'root' \(username 'root'\) at http:.* failed: .*\[CannotAuthenticate\]\. Check the account, username and password/);
      user.drop();
    });

    it('expired token, and none at all', async () => {
      const user = new CliUser({ TARN_URL: api.url, TARN_ACCOUNT: 'root' });
      const none = await user.run(['whoami']);
      expect(none.code).toBe(3);
      expect(oneLine(none.stderr)).toMatch(/^tarn: Not logged in as account 'root' at .*: run 'tarn login' first/);
      await user.ok(['login', '--password', PASSWORD]);
      const tokenDir = join(user.home, '.config', 'tarn', 'tokens');
      const { readdirSync } = await import('node:fs');
      const [name] = readdirSync(tokenDir).filter((file) => file.startsWith('root-'));
      const cached = JSON.parse(readFileSync(join(tokenDir, name), 'utf8'));
      writeFileSync(join(tokenDir, name), JSON.stringify({ ...cached, expiresAt: new Date(Date.now() - 1000).toISOString() }));
      const expired = await user.run(['rse', 'list']);
      expect(expired.code).toBe(3);
      expect(oneLine(expired.stderr)).toMatch(/^tarn: The login token of account 'root' at .* expired at .*: run 'tarn login' again/);
      // With a password configured, tarn renews it by itself.
      expect((await user.run(['rse', 'list'], { TARN_PASSWORD: PASSWORD })).code).toBe(0);
      // A token the server no longer knows: one line too.
      writeFileSync(join(tokenDir, name), JSON.stringify({ ...cached, token: 'not-a-token', expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
      const rejected = await user.run(['rse', 'list']);
      expect(rejected.code).toBe(3);
      expect(oneLine(rejected.stderr)).toMatch(/^tarn: Listing RSEs: .*\[CannotAuthenticate\]\. Run 'tarn login' again\.$/);
      user.drop();
    });

    it('unknown RSE', async () => {
      const result = await root.run(['upload', file('x.dat', 10), '--scope', 'user.root', '--rse', 'NO_SUCH_RSE']);
      expect(result.code).toBe(4);
      expect(oneLine(result.stderr)).toMatch(/^tarn: Reading the protocols of RSE 'NO_SUCH_RSE': .*NO_SUCH_RSE.*\[RSENotFound\]$/);
      expect((await root.run(['rse', 'show', 'NO_SUCH_RSE'])).code).toBe(4);
    });

    it('unknown DID', async () => {
      const result = await root.run(['did', 'show', 'user.root:nothing-here']);
      expect(result.code).toBe(4);
      expect(oneLine(result.stderr)).toMatch(/^tarn: Showing user\.root:nothing-here: .*user\.root:nothing-here.*\[DataIdentifierNotFound\]$/);
      const download = await root.run(['download', 'user.root:nothing-here', '--dir', work.root]);
      expect(download.code).toBe(4);
      oneLine(download.stderr);
    });

    it('bad RSE expression', async () => {
      const result = await root.run(['rule', 'add', 'user.root:night1', '--rses', 'CLI_POSIX&(tier=1', '--copies', '1']);
      expect(result.code).toBe(2);
      expect(oneLine(result.stderr)).toMatch(/^tarn: Adding a rule on user\.root:night1 for 'CLI_POSIX&\(tier=1': .*\[InvalidRSEExpression\]$/);
      const list = await root.run(['rse', 'list', '-e', 'NOPE_RSE']);
      expect(list.code).toBe(2);
      oneLine(list.stderr);
    });

    it('usage errors', async () => {
      const result = await root.run(['rule', 'add', 'user.root:night1']);
      expect(result.code).toBe(2);
      expect(oneLine(result.stderr)).toMatch(/^tarn: required option '--rses <expression>' not specified/);
      const did = await root.run(['did', 'show', 'no-colon']);
      expect(did.code).toBe(2);
      expect(oneLine(did.stderr)).toBe("tarn: 'no-colon' is not a DID: write scope:name, e.g. user.jdoe:run4711.");
    });
  });
});
