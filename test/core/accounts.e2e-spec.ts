import { createHash } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { AccountStatus, AccountType, Duplicate, Forbidden, InvalidInput, NotFound, TarnError } from '@tarn/domain';
import { AccountService } from '@tarn/core/accounts/account.service.js';
import { AccountsModule } from '@tarn/core/accounts/accounts.module.js';
import { ROOT_ISSUER, type Issuer } from '@tarn/core/auth/issuer.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';

async function failure(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TarnError);
    return error as TarnError;
  }
  throw new Error('expected the call to fail');
}

describe('AccountService', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let accounts: AccountService;
  let jdoe: Issuer;

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [AccountsModule]);
    accounts = moduleRef.get(AccountService);
    jdoe = (await createAccount(db.dataSource, { account: 'jdoe' })).issuer;
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('bootstrap of root', () => {
    it('creates root once, an administrator with a userpass identity, and never changes it afterwards', async () => {
      const first = await accounts.ensureRootAccount();
      expect(first.created).toBe(true);
      expect(first.generatedPassword).toMatch(/^[A-Za-z0-9]{24}$/);

      const login = await accounts.authenticateUserpass('root', 'root', first.generatedPassword!);
      expect(await accounts.validateToken(login.token)).toEqual({ account: 'root', admin: true });
      expect(await accounts.listAttributes(ROOT_ISSUER, 'root')).toEqual([{ key: 'admin', value: true }]);
      expect((await accounts.getAccount(ROOT_ISSUER, 'root')).type).toBe(AccountType.SERVICE);

      expect(await accounts.ensureRootAccount('another-password')).toEqual({ created: false });
      expect(await accounts.ensureRootAccount()).toEqual({ created: false });
      expect((await failure(accounts.authenticateUserpass('root', 'root', 'another-password'))).rucioClass).toBe('CannotAuthenticate');
      await expect(accounts.authenticateUserpass('root', 'root', first.generatedPassword!)).resolves.toMatchObject({ account: 'root' });
    });
  });

  describe('accounts', () => {
    it('are added by administrators only, with a valid name and type, once', async () => {
      const name = uniqueAccountName('svc');
      const added = await accounts.addAccount(ROOT_ISSUER, { account: name, type: 'service', email: 'ops@example.org' });
      expect(added).toMatchObject({ account: name, type: AccountType.SERVICE, status: AccountStatus.ACTIVE, email: 'ops@example.org' });

      const forbidden = await failure(accounts.addAccount(jdoe, { account: uniqueAccountName(), type: 'USER' }));
      expect(forbidden).toBeInstanceOf(Forbidden);
      expect(forbidden.message).toMatch(/'jdoe' may not add accounts/);

      const duplicate = await failure(accounts.addAccount(ROOT_ISSUER, { account: name, type: 'USER' }));
      expect(duplicate).toBeInstanceOf(Duplicate);
      expect(duplicate.message).toContain(`'${name}' already exists`);

      expect((await failure(accounts.addAccount(ROOT_ISSUER, { account: 'Bad Name', type: 'USER' })))).toBeInstanceOf(InvalidInput);
      const badType = await failure(accounts.addAccount(ROOT_ISSUER, { account: uniqueAccountName(), type: 'ROBOT' }));
      expect(badType.message).toMatch(/Invalid account type "ROBOT": use one of USER, GROUP, SERVICE/);
    });

    it('are read by name, AccountNotFound otherwise', async () => {
      expect(await accounts.getAccount(jdoe, 'jdoe')).toMatchObject({ account: 'jdoe', type: AccountType.USER });
      const missing = await failure(accounts.getAccount(jdoe, 'nobody'));
      expect(missing).toBeInstanceOf(NotFound);
      expect(missing.rucioClass).toBe('AccountNotFound');
    });

    it('are listed by type and status, deleted ones only when asked for', async () => {
      const group = await accounts.addAccount(ROOT_ISSUER, { account: uniqueAccountName('grp'), type: 'GROUP' });
      const gone = await accounts.addAccount(ROOT_ISSUER, { account: uniqueAccountName('grp'), type: 'GROUP' });
      await accounts.deleteAccount(ROOT_ISSUER, gone.account);

      const groups = (await accounts.listAccounts(jdoe, { type: 'group' })).map((a) => a.account);
      expect(groups).toContain(group.account);
      expect(groups).not.toContain(gone.account);
      expect((await accounts.listAccounts(jdoe, { status: 'DELETED' })).map((a) => a.account)).toEqual([gone.account]);
      expect((await accounts.listAccounts(jdoe)).map((a) => a.account)).toEqual(expect.arrayContaining(['jdoe', 'root', group.account]));
    });

    it('change status and email (administrators only); deletion is soft and ends sessions', async () => {
      const user = await createAccount(db.dataSource, { password: 'pw-user-1' });
      const token = (await accounts.authenticateUserpass(user.account, user.account, 'pw-user-1')).token;

      expect(await failure(accounts.updateAccount(jdoe, user.account, { email: 'x@example.org' }))).toBeInstanceOf(Forbidden);
      expect(await accounts.updateAccount(ROOT_ISSUER, user.account, { email: 'new@example.org' })).toMatchObject({ email: 'new@example.org' });

      const suspended = await accounts.updateAccount(ROOT_ISSUER, user.account, { status: 'SUSPENDED' });
      expect(suspended.status).toBe(AccountStatus.SUSPENDED);
      expect(suspended.suspendedAt).toBeInstanceOf(Date);
      expect((await failure(accounts.validateToken(token))).message).toMatch(/Unknown token/);
      expect((await failure(accounts.authenticateUserpass(user.account, user.account, 'pw-user-1'))).message).toMatch(/is suspended/);

      await accounts.updateAccount(ROOT_ISSUER, user.account, { status: 'ACTIVE' });
      const token2 = (await accounts.authenticateUserpass(user.account, user.account, 'pw-user-1')).token;
      const deleted = await accounts.deleteAccount(ROOT_ISSUER, user.account);
      expect(deleted).toMatchObject({ status: AccountStatus.DELETED, deletedAt: expect.any(Date) });
      expect(await accounts.getAccount(ROOT_ISSUER, user.account)).toMatchObject({ status: AccountStatus.DELETED });
      expect((await failure(accounts.validateToken(token2))).rucioClass).toBe('CannotAuthenticate');

      expect(await failure(accounts.deleteAccount(ROOT_ISSUER, 'root'))).toBeInstanceOf(InvalidInput);
      expect((await failure(accounts.updateAccount(ROOT_ISSUER, 'nobody', { email: null }))).rucioClass).toBe('AccountNotFound');
    });
  });

  describe('attributes', () => {
    it('are set, listed and deleted; admin=true makes an administrator', async () => {
      const user = await createAccount(db.dataSource, { password: 'pw-attr' });
      const login = () => accounts.authenticateUserpass(user.account, user.account, 'pw-attr');
      expect(await accounts.validateToken((await login()).token)).toEqual({ account: user.account, admin: false });

      expect(await failure(accounts.setAttribute(jdoe, user.account, 'admin', true))).toBeInstanceOf(Forbidden);
      await accounts.setAttribute(ROOT_ISSUER, user.account, 'admin', 'True');
      await accounts.setAttribute(ROOT_ISSUER, user.account, 'country', 'ch');
      expect(await accounts.listAttributes(jdoe, user.account)).toEqual([
        { key: 'admin', value: 'True' },
        { key: 'country', value: 'ch' },
      ]);
      expect(await accounts.isAdmin(user.account)).toBe(true);
      expect(await accounts.validateToken((await login()).token)).toEqual({ account: user.account, admin: true });

      await accounts.setAttribute(ROOT_ISSUER, user.account, 'admin', false);
      expect(await accounts.isAdmin(user.account)).toBe(false);
      await accounts.deleteAttribute(ROOT_ISSUER, user.account, 'admin');
      expect(await accounts.listAttributes(jdoe, user.account)).toEqual([{ key: 'country', value: 'ch' }]);
      expect((await failure(accounts.deleteAttribute(ROOT_ISSUER, user.account, 'admin'))).rucioClass).toBe('KeyNotFound');
      expect((await failure(accounts.setAttribute(ROOT_ISSUER, 'nobody', 'k', 'v'))).rucioClass).toBe('AccountNotFound');
    });
  });

  describe('identities', () => {
    it('store only a scrypt hash of the password, map to accounts, list, and delete', async () => {
      const alice = await createAccount(db.dataSource, { account: uniqueAccountName('alice') });
      const robot = await createAccount(db.dataSource, { account: uniqueAccountName('robot'), type: AccountType.SERVICE });
      const username = `${alice.account}-login`;

      expect(await failure(accounts.addUserpassIdentity(jdoe, { account: alice.account, username, password: 'secret-1' }))).toBeInstanceOf(Forbidden);
      expect(await accounts.addUserpassIdentity(ROOT_ISSUER, { account: alice.account, username, password: 'secret-1', email: 'a@example.org' })).toEqual({
        identityCreated: true,
      });
      const [stored] = await db.dataSource.query(`SELECT password_hash FROM identities WHERE identity = $1`, [username]);
      expect(stored.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[^$]+\$[^$]+$/);
      expect(stored.password_hash).not.toContain('secret-1');

      // The same identity may act as a second account; it keeps its password.
      expect(await accounts.addAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: username, type: 'userpass' })).toEqual({
        identityCreated: false,
      });
      expect(await failure(accounts.addAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: username, type: 'USERPASS' }))).toBeInstanceOf(Duplicate);
      expect(await failure(accounts.addUserpassIdentity(ROOT_ISSUER, { account: robot.account, username, password: 'other' }))).toBeInstanceOf(Duplicate);
      expect(await failure(accounts.addAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: 'new-user', type: 'USERPASS' }))).toBeInstanceOf(
        InvalidInput,
      );
      await accounts.addAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: '/DC=org/CN=robot', type: 'X509' });

      expect(await accounts.listIdentities(alice.issuer, alice.account)).toEqual([{ identity: username, type: 'USERPASS', email: 'a@example.org', isDefault: false }]);
      expect((await accounts.listIdentities(ROOT_ISSUER, robot.account)).map((i) => `${i.type}:${i.identity}`)).toEqual([`USERPASS:${username}`, 'X509:/DC=org/CN=robot']);
      expect(await failure(accounts.listIdentities(jdoe, alice.account))).toBeInstanceOf(Forbidden);
      expect(await accounts.listAccountsOfIdentity(ROOT_ISSUER, username, 'USERPASS')).toEqual([alice.account, robot.account].sort());

      await expect(accounts.authenticateUserpass(robot.account, username, 'secret-1')).resolves.toMatchObject({ account: robot.account });
      await accounts.deleteAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: username, type: 'USERPASS' });
      expect((await failure(accounts.authenticateUserpass(robot.account, username, 'secret-1'))).rucioClass).toBe('CannotAuthenticate');
      expect((await failure(accounts.deleteAccountIdentity(ROOT_ISSUER, { account: robot.account, identity: username, type: 'USERPASS' }))).rucioClass).toBe(
        'IdentityNotFound',
      );

      await accounts.deleteIdentity(ROOT_ISSUER, username, 'USERPASS');
      expect(await accounts.listIdentities(alice.issuer, alice.account)).toEqual([]);
      expect((await failure(accounts.authenticateUserpass(alice.account, username, 'secret-1'))).rucioClass).toBe('CannotAuthenticate');
    });
  });

  describe('authentication', () => {
    let user: string;

    beforeAll(async () => {
      user = (await createAccount(db.dataSource, { password: 'right-password' })).account;
    });

    it('hands out a random token valid for an hour and stores only its SHA-256', async () => {
      const before = Date.now();
      const { token, expiresAt, account } = await accounts.authenticateUserpass(user, user, 'right-password');
      expect(account).toBe(user);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
      expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);

      const rows = await db.dataSource.query(`SELECT token_hash, identity FROM tokens WHERE account = $1`, [user]);
      expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex'), identity: user }]);
      expect(await accounts.validateToken(token)).toEqual({ account: user, admin: false });

      const other = await accounts.authenticateUserpass(user, user, 'right-password', { lifetimeSeconds: 60 });
      expect(other.token).not.toBe(token);
      expect(other.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    });

    it('refuses a wrong password, an unknown username and an unmapped account alike, without saying which', async () => {
      const stranger = (await createAccount(db.dataSource)).account;
      const errors = [
        await failure(accounts.authenticateUserpass(user, user, 'wrong-password')),
        await failure(accounts.authenticateUserpass(user, 'no-such-user', 'right-password')),
        await failure(accounts.authenticateUserpass(stranger, user, 'right-password')),
        await failure(accounts.authenticateUserpass('no-such-account', user, 'right-password')),
        await failure(accounts.authenticateUserpass(user, user, '')),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(Forbidden);
        expect(error.rucioClass).toBe('CannotAuthenticate');
        expect(error.message).toMatch(/the account, username or password is wrong, or the username may not act as that account/);
      }
      const generic = (e: TarnError) => e.message.replace(/'[^']*'/g, "'…'");
      expect(new Set(errors.map(generic)).size).toBe(1);
    });

    it('refuses expired and unknown tokens, and purges expired ones', async () => {
      const { token } = await accounts.authenticateUserpass(user, user, 'right-password');
      const keep = await accounts.authenticateUserpass(user, user, 'right-password');
      await db.dataSource.query(`UPDATE tokens SET expired_at = now() - interval '1 second' WHERE token_hash = $1`, [
        createHash('sha256').update(token).digest('hex'),
      ]);

      const expired = await failure(accounts.validateToken(token));
      expect(expired.rucioClass).toBe('CannotAuthenticate');
      expect(expired.message).toMatch(/Token expired at .*, log in again/);
      expect((await failure(accounts.validateToken('not-a-token'))).message).toMatch(/Unknown token/);
      expect((await failure(accounts.validateToken(''))).rucioClass).toBe('CannotAuthenticate');

      expect(await accounts.purgeExpiredTokens()).toBeGreaterThanOrEqual(1);
      expect((await failure(accounts.validateToken(token))).message).toMatch(/Unknown token/);
      expect(await accounts.validateToken(keep.token)).toEqual({ account: user, admin: false });

      expect(await accounts.revokeToken(keep.token)).toBe(true);
      expect((await failure(accounts.validateToken(keep.token))).message).toMatch(/Unknown token/);
    });

    it('refuses lifetimes that are not whole seconds up to 30 days', async () => {
      expect(await failure(accounts.authenticateUserpass(user, user, 'right-password', { lifetimeSeconds: 0 }))).toBeInstanceOf(InvalidInput);
      expect(await failure(accounts.authenticateUserpass(user, user, 'right-password', { lifetimeSeconds: 1e9 }))).toBeInstanceOf(InvalidInput);
    });
  });
});
