import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Duplicate } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { insertScope, insertScopeGrant, updateScopeRestricted } from '@tarn/catalogue/repositories/scope.repository.js';
import { type AccountFactoryInput, createAccount, type CreatedAccount } from './account.factory.js';

export interface ScopeFactoryInput {
  scope?: string;
  account: string;
  restricted?: boolean;
  /** Accounts granted access besides the owner. */
  grants?: string[];
}

/** A valid scope name nobody else uses: `<prefix>.<8 hex digits>`. */
export function uniqueScopeName(prefix = 'user'): string {
  return `${prefix}.${randomBytes(4).toString('hex')}`;
}

/** Creates a scope owned by an (existing) account, bypassing permissions. */
export async function createScope(dataSource: DataSource, input: ScopeFactoryInput): Promise<{ scope: string; account: string }> {
  const scope = input.scope ?? uniqueScopeName();
  await unitOfWork(dataSource, { what: `scope '${scope}'` }, async (manager) => {
    if (!(await insertScope(manager, { scope, account: input.account }))) throw new Duplicate(`Scope '${scope}' already exists.`);
    if (input.restricted) await updateScopeRestricted(manager, scope, true);
    for (const account of input.grants ?? []) await insertScopeGrant(manager, scope, account);
  });
  return { scope, account: input.account };
}

/** A new account with a scope of its own: the usual starting point of a namespace test. */
export async function createAccountWithScope(
  dataSource: DataSource,
  input: AccountFactoryInput & { scope?: string; restricted?: boolean } = {},
): Promise<CreatedAccount & { scope: string }> {
  const { scope: scopeName, restricted, ...accountInput } = input;
  const account = await createAccount(dataSource, accountInput);
  const { scope } = await createScope(dataSource, { scope: scopeName, account: account.account, restricted });
  return { ...account, scope };
}
