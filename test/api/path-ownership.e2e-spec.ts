/**
 * A file on storage has one owner. An ordinary account tried to register a replica in its own scope at the path of
 * another account's file (then to get it deleted by the reaper, or to read an embargoed file through it): refused,
 * by the service and by the schema, without learning whose file it is.
 */
import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

describe('a path on storage has one owner', () => {
  let db: TestDatabase;
  let api: TestApi;
  let rse: CreatedRse;
  let root: CreatedAccount;
  let alice: CreatedAccount;
  let bob: CreatedAccount;
  const tokens = new Map<string, string>();

  async function token(user: CreatedAccount): Promise<string> {
    if (!tokens.has(user.account)) {
      const response = await request(api.url)
        .get('/auth/userpass')
        .set({ 'X-Rucio-Account': user.account, 'X-Rucio-Username': user.account, 'X-Rucio-Password': user.password! })
        .expect(200);
      tokens.set(user.account, response.headers['x-rucio-auth-token']);
    }
    return tokens.get(user.account)!;
  }

  const register = async (user: CreatedAccount, files: Array<Record<string, unknown>>) =>
    request(api.url).post('/replicas').set('X-Rucio-Auth-Token', await token(user)).set('Content-Type', 'application/json').send(JSON.stringify({ rse: rse.rse, files }));

  const file = (scope: string, name: string, extra: Record<string, unknown>) => ({ scope, name, bytes: 10, adler32: '0000000a', ...extra });
  const holders = async (path: string) => (await db.dataSource.query(`SELECT scope, name FROM replicas WHERE rse_id = $1 AND path = $2`, [rse.id, path]));

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    root = await createAccount(db.dataSource, { account: 'root', admin: true, password: 'root-pw' });
    alice = await createAccount(db.dataSource, { account: 'alice', password: 'alice-pw' });
    bob = await createAccount(db.dataSource, { account: 'bob', password: 'bob-pw' });
    await createScope(db.dataSource, { scope: 'user.alice', account: 'alice', restricted: true });
    await createScope(db.dataSource, { scope: 'user.bob', account: 'bob' });
    rse = await createRse(db.dataSource, {
      rse: 'ND_DISK',
      deterministic: false,
      protocols: [{ scheme: 'https', hostname: 'nd.example.org', port: 443, prefix: '/store', impl: 'rucio.rse.protocols.webdav.Default', domains: { wan: { read: 1, write: 1 } } }],
    });
    // The embargoed file, registered by an administrator where the instrument wrote it.
    const placed = await register(root, [file('user.alice', 'secret.fits', { path: 'user/alice/secret.fits' })]);
    expect(placed.status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('lets no ordinary account choose a path on an RSE that does not allow it', async () => {
    for (const where of [{ path: 'user/bob/mine.fits' }, { pfn: 'https://nd.example.org:443/store/user/bob/mine.fits' }]) {
      const response = await register(bob, [file('user.bob', 'mine.fits', where)]);
      expect({ status: response.status, class: response.body.ExceptionClass }).toEqual({ status: 401, class: 'AccessDenied' });
    }
    expect((await register(bob, [file('user.bob', 'mine.fits', { path: 'user/bob/mine.fits' })])).body.ExceptionMessage).toContain('allow_user_paths=true');
  });

  it("keeps an allowed account under its scope's directory, and out of a path another replica holds", async () => {
    await db.dataSource.query(`INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, 'allow_user_paths', 'true'::jsonb)`, [rse.id]);
    const elsewhere = await register(bob, [file('user.bob', 'steal.fits', { path: 'user/alice/secret.fits' })]);
    expect({ status: elsewhere.status, class: elsewhere.body.ExceptionClass }).toEqual({ status: 401, class: 'AccessDenied' });
    expect(elsewhere.body.ExceptionMessage).toContain("only under its scope's directory 'user/bob/'");
    for (const path of ['user/bob/../alice/secret.fits', 'user/bob/./x', 'user/bob//x', 'user/bob/x/']) {
      const bad = await register(bob, [file('user.bob', 'steal.fits', { path })]);
      expect({ path, status: bad.status, class: bad.body.ExceptionClass }).toEqual({ path, status: 400, class: 'InvalidPath' });
    }
    expect((await register(bob, [file('user.bob', 'mine.fits', { path: '/user/bob/mine.fits' })])).status).toBe(201);
    expect(await holders('user/bob/mine.fits')).toEqual([{ scope: 'user.bob', name: 'mine.fits' }]);
    expect(await holders('user/alice/secret.fits')).toEqual([{ scope: 'user.alice', name: 'secret.fits' }]);
  });

  it('refuses a held path to anyone, administrators too, without naming its holder', async () => {
    await createScope(db.dataSource, { scope: 'user.carol', account: 'root' });
    const taken = await register(root, [file('user.carol', 'copy.fits', { path: 'user/alice/secret.fits' })]);
    expect(taken.status).toBe(409);
    expect(taken.body.ExceptionMessage).toBe(
      "RSE 'ND_DISK' already holds a file at 'user/alice/secret.fits' for another replica: register user.carol:copy.fits at a path of its own.",
    );
    expect(JSON.stringify(taken.body)).not.toContain('secret.fits"');
    const twice = await register(root, [file('user.carol', 'a.fits', { path: 'user/carol/x' }), file('user.carol', 'b.fits', { path: 'user/carol/x' })]);
    expect({ status: twice.status, class: twice.body.ExceptionClass }).toEqual({ status: 400, class: 'InvalidPath' });
    // The holder itself registering again at its own path is no conflict.
    expect((await register(root, [file('user.alice', 'secret.fits', { path: 'user/alice/secret.fits' })])).status).toBe(201);
    expect(await holders('user/alice/secret.fits')).toEqual([{ scope: 'user.alice', name: 'secret.fits' }]);
  });

  it('is enforced by the schema, whatever writes the row', async () => {
    const moved = db.dataSource.query(`UPDATE replicas SET path = 'user/alice/secret.fits' WHERE scope = 'user.bob' AND name = 'mine.fits' AND rse_id = $1`, [rse.id]);
    await expect(moved).rejects.toThrow(/replicas_rse_path_uq/);
  });
});
