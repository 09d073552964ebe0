import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountType, Duplicate, IdentityType } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { insertAccount, upsertAccountAttribute } from '@tarn/catalogue/repositories/account.repository.js';
import { insertIdentity, insertIdentityAccount } from '@tarn/catalogue/repositories/identity.repository.js';
import { hashPassword } from '@tarn/core/accounts/password-hash.js';
import type { Issuer } from '@tarn/core/auth/issuer.js';

export interface AccountFactoryInput {
  account?: string;
  type?: AccountType;
  admin?: boolean;
  email?: string | null;
  /** Adds a USERPASS identity named like the account with this password (slow: scrypt). */
  password?: string;
}

export interface CreatedAccount {
  account: string;
  /** Acts as this account in service calls. */
  issuer: Issuer;
  password?: string;
}

/** A valid account name nobody else uses: `<prefix>-<8 hex digits>`. */
export function uniqueAccountName(prefix = 'user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates an account (optionally an administrator, optionally with a userpass identity), bypassing permissions. */
export async function createAccount(dataSource: DataSource, input: AccountFactoryInput = {}): Promise<CreatedAccount> {
  const account = input.account ?? uniqueAccountName();
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
  await unitOfWork(dataSource, { what: `account '${account}'` }, async (manager) => {
    if (!(await insertAccount(manager, { account, accountType: input.type ?? AccountType.USER, email: input.email ?? null }))) {
      throw new Duplicate(`Account '${account}' already exists.`);
    }
    if (input.admin) await upsertAccountAttribute(manager, account, 'admin', true);
    if (passwordHash) {
      await insertIdentity(manager, { identity: account, identityType: IdentityType.USERPASS, passwordHash });
      await insertIdentityAccount(manager, { identity: account, identityType: IdentityType.USERPASS, account, isDefault: true });
    }
  });
  return { account, issuer: { account, admin: input.admin === true }, ...(input.password !== undefined ? { password: input.password } : {}) };
}
