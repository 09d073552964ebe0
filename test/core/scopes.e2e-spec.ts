import type { TestingModule } from '@nestjs/testing';
import { Duplicate, Forbidden, InvalidInput, TarnError } from '@tarn/domain';
import { ROOT_ISSUER, type Issuer } from '@tarn/core/auth/issuer.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { ScopeService } from '@tarn/core/scopes/scope.service.js';
import { ScopesModule } from '@tarn/core/scopes/scopes.module.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createFiles } from '@tarn/testing/factories/did.factory.js';

async function failure(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TarnError);
    return error as TarnError;
  }
  throw new Error('expected the call to fail');
}

describe('ScopeService', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let scopes: ScopeService;
  let dids: DidService;
  let alice: Issuer;
  let bob: Issuer;

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [ScopesModule, DidsModule]);
    scopes = moduleRef.get(ScopeService);
    dids = moduleRef.get(DidService);
    alice = (await createAccount(db.dataSource, { account: 'alice' })).issuer;
    bob = (await createAccount(db.dataSource, { account: 'bob' })).issuer;
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it('are added by administrators for anyone, and by an account for itself only', async () => {
    expect(await scopes.addScope(ROOT_ISSUER, { scope: 'user.alice', account: 'alice' })).toMatchObject({
      scope: 'user.alice',
      account: 'alice',
      restricted: false,
    });
    expect(await scopes.addScope(bob, { scope: 'user.bob', account: 'bob' })).toMatchObject({ scope: 'user.bob', account: 'bob' });

    const forbidden = await failure(scopes.addScope(bob, { scope: 'user.bob2', account: 'alice' }));
    expect(forbidden).toBeInstanceOf(Forbidden);
    expect(forbidden.message).toMatch(/'bob' may not add scope 'user.bob2' of account 'alice'/);

    const duplicate = await failure(scopes.addScope(ROOT_ISSUER, { scope: 'user.alice', account: 'bob' }));
    expect(duplicate).toBeInstanceOf(Duplicate);
    expect(duplicate.message).toContain("Scope 'user.alice' already exists");
    expect(await failure(scopes.addScope(ROOT_ISSUER, { scope: 'bad scope', account: 'alice' }))).toBeInstanceOf(InvalidInput);
    expect(await failure(scopes.addScope(ROOT_ISSUER, { scope: 'x'.repeat(26), account: 'alice' }))).toBeInstanceOf(InvalidInput);
    expect((await failure(scopes.addScope(ROOT_ISSUER, { scope: 'user.nobody', account: 'nobody' }))).rucioClass).toBe('AccountNotFound');
  });

  it('are listed, all or by account, and read one by one', async () => {
    await scopes.addScope(alice, { scope: 'data.alice', account: 'alice' });
    expect((await scopes.listScopes(bob)).map((s) => s.scope)).toEqual(expect.arrayContaining(['data.alice', 'user.alice', 'user.bob']));
    expect((await scopes.listScopes(bob, { account: 'alice' })).map((s) => s.scope)).toEqual(['data.alice', 'user.alice']);
    expect((await failure(scopes.listScopes(bob, { account: 'nobody' }))).rucioClass).toBe('AccountNotFound');
    expect(await scopes.getScope(bob, 'user.alice')).toMatchObject({ account: 'alice' });
    expect((await failure(scopes.getScope(bob, 'no.scope'))).rucioClass).toBe('ScopeNotFound');
  });

  it('are restricted (embargoed) by their owner or administrators; others may then not read them', async () => {
    const [file] = await createFiles(db.dataSource, { scope: 'data.alice', account: 'alice' });
    expect(await dids.get(bob, file.scope, file.name)).toMatchObject({ name: file.name });

    expect(await failure(scopes.setRestricted(bob, 'data.alice', true))).toBeInstanceOf(Forbidden);
    expect(await scopes.setRestricted(alice, 'data.alice', true)).toMatchObject({ restricted: true });
    const denied = await failure(dids.get(bob, file.scope, file.name));
    expect(denied.rucioClass).toBe('AccessDenied');
    expect(await dids.get(alice, file.scope, file.name)).toMatchObject({ name: file.name });
    expect(await dids.get(ROOT_ISSUER, file.scope, file.name)).toMatchObject({ name: file.name });

    expect(await scopes.setRestricted(ROOT_ISSUER, 'data.alice', false)).toMatchObject({ restricted: false });
    expect(await dids.get(bob, file.scope, file.name)).toMatchObject({ name: file.name });
    expect((await failure(scopes.setRestricted(alice, 'no.scope', true))).rucioClass).toBe('ScopeNotFound');
  });

  it('grant and revoke another account access: writing, and reading when restricted', async () => {
    await scopes.setRestricted(alice, 'user.alice', true);
    const [file] = await createFiles(db.dataSource, { scope: 'user.alice', account: 'alice' });
    expect(await failure(dids.addDids(bob, [{ scope: 'user.alice', name: 'by.bob', type: 'FILE', bytes: 1 }]))).toBeInstanceOf(Forbidden);
    expect(await failure(scopes.grantAccess(bob, 'user.alice', 'bob'))).toBeInstanceOf(Forbidden);

    expect(await scopes.grantAccess(alice, 'user.alice', 'bob')).toEqual({ granted: true });
    expect(await scopes.grantAccess(alice, 'user.alice', 'bob')).toEqual({ granted: false });
    expect(await scopes.listGrants(alice, 'user.alice')).toEqual(['bob']);
    expect(await failure(scopes.listGrants(bob, 'user.alice'))).toBeInstanceOf(Forbidden);
    await dids.addDids(bob, [{ scope: 'user.alice', name: 'by.bob', type: 'FILE', bytes: 1 }]);
    expect(await dids.get(bob, file.scope, file.name)).toMatchObject({ name: file.name });
    expect((await failure(scopes.grantAccess(alice, 'user.alice', 'nobody'))).rucioClass).toBe('AccountNotFound');

    expect(await scopes.revokeAccess(ROOT_ISSUER, 'user.alice', 'bob')).toEqual({ revoked: true });
    expect(await scopes.revokeAccess(alice, 'user.alice', 'bob')).toEqual({ revoked: false });
    expect(await scopes.listGrants(alice, 'user.alice')).toEqual([]);
    expect((await failure(dids.get(bob, file.scope, file.name))).rucioClass).toBe('AccessDenied');
    expect(await failure(dids.addDids(bob, [{ scope: 'user.alice', name: 'by.bob.2', type: 'FILE', bytes: 1 }]))).toBeInstanceOf(Forbidden);
  });
});
