import { Inject, Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountStatus, AccountType, Duplicate, IdentityType, InvalidInput, NotFound, validateAccountName } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import {
  type AccountRow,
  deleteAccountAttribute,
  findAccount,
  insertAccount,
  isAdminAccount,
  listAccountAttributes,
  listAccounts,
  updateAccount,
  upsertAccountAttribute,
} from '@tarn/catalogue/repositories/account.repository.js';
import { insertIdentityAccount, upsertIdentityPassword } from '@tarn/catalogue/repositories/identity.repository.js';
import { deleteTokensOfAccount } from '@tarn/catalogue/repositories/token.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import type {
  AccountAttribute,
  AccountChanges,
  AccountView,
  AuthToken,
  IdentityView,
  LoginOptions,
  NewAccount,
  NewAccountIdentity,
  RootBootstrap,
  TokenDescription,
  UserpassIdentityInput,
} from './account.types.js';
import { AuthenticationService } from './authentication.service.js';
import { IdentityService } from './identity.service.js';
import { hashPassword } from './password-hash.js';

export const ROOT_ACCOUNT = 'root';

function enumValue<E extends Record<string, string>>(values: E, input: unknown, what: string): E[keyof E] {
  const value = Object.values(values).find((v) => v === String(input).toUpperCase());
  if (!value) {
    throw new InvalidInput(`Invalid ${what} ${JSON.stringify(input)}: use one of ${Object.values(values).join(', ')}.`, {
      rucioClass: 'InvalidObject',
      details: { [what]: input },
    });
  }
  return value as E[keyof E];
}

function validateEmail(email: unknown): string | null {
  if (email === null || email === undefined || email === '') return null;
  if (typeof email !== 'string' || email.length > 255 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new InvalidInput(`Invalid email ${JSON.stringify(email)}: give an address like jdoe@example.org.`, { rucioClass: 'InvalidObject' });
  }
  return email;
}

function validateAttributeKey(key: unknown): string {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.:-]{1,255}$/.test(key)) {
    throw new InvalidInput(`Invalid attribute key ${JSON.stringify(key)}: use 1 to 255 letters, digits, '_', '-', '.', ':'.`, {
      rucioClass: 'InvalidObject',
    });
  }
  return key;
}

const accountView = (row: AccountRow): AccountView => ({
  account: row.account,
  type: row.accountType,
  status: row.status,
  email: row.email,
  suspendedAt: row.suspendedAt,
  deletedAt: row.deletedAt,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 24 characters drawn uniformly (no look-alikes such as 0/O, 1/l/I). */
export function generatePassword(length = 24): string {
  let password = '';
  for (let i = 0; i < length; i++) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return password;
}

/**
 * Accounts (USER, GROUP, SERVICE), their status and attributes (`admin=true` makes an administrator), and the
 * one entry point to their identities and authentication (implemented by IdentityService and
 * AuthenticationService, which this delegates to).
 */
@Injectable()
export class AccountService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(IdentityService) private readonly identities: IdentityService,
    @Inject(AuthenticationService) private readonly authentication: AuthenticationService,
  ) {}

  async addAccount(issuer: Issuer, input: NewAccount): Promise<AccountView> {
    this.permissions.assertAdmin(issuer, 'add accounts');
    const account = validateAccountName(input?.account);
    const accountType = enumValue(AccountType, input.type, 'account type');
    const email = validateEmail(input.email);
    return unitOfWork(this.dataSource, { what: `account '${account}'` }, async (manager) => {
      if (!(await insertAccount(manager, { account, accountType, email }))) {
        throw new Duplicate(`Account '${account}' already exists. Choose another name, or update the existing account.`, {
          rucioClass: 'Duplicate',
          details: { account },
        });
      }
      return accountView((await findAccount(manager, account))!);
    });
  }

  async getAccount(issuer: Issuer, account: string): Promise<AccountView> {
    validateAccountName(account);
    const row = await findAccount(this.dataSource.manager, account);
    if (!row) throw NotFound.account(account);
    return accountView(row);
  }

  /** Accounts by type and status; deleted accounts only when asked for by status. */
  async listAccounts(issuer: Issuer, filter: { type?: string; status?: string } = {}): Promise<AccountView[]> {
    const rows = await listAccounts(this.dataSource.manager, {
      accountType: filter.type ? enumValue(AccountType, filter.type, 'account type') : undefined,
      status: filter.status ? enumValue(AccountStatus, filter.status, 'account status') : undefined,
    });
    return rows.map(accountView);
  }

  /** Changes status (suspending or deleting ends the account's sessions) and/or email; administrators only. */
  async updateAccount(issuer: Issuer, account: string, changes: AccountChanges): Promise<AccountView> {
    this.permissions.assertAdmin(issuer, `update account '${account}'`);
    validateAccountName(account);
    const status = changes.status !== undefined ? enumValue(AccountStatus, changes.status, 'account status') : undefined;
    const email = changes.email !== undefined ? validateEmail(changes.email) : undefined;
    if (status !== undefined && status !== AccountStatus.ACTIVE && account === ROOT_ACCOUNT) {
      throw new InvalidInput(`The root account cannot be suspended or deleted: it is the administrator of last resort.`, {
        rucioClass: 'UnsupportedOperation',
      });
    }
    return unitOfWork(this.dataSource, { what: `account '${account}'` }, async (manager) => {
      const row = await updateAccount(manager, account, { status, email });
      if (!row) throw NotFound.account(account);
      if (status !== undefined && status !== AccountStatus.ACTIVE) await deleteTokensOfAccount(manager, account);
      return accountView(row);
    });
  }

  /** Soft delete: the account stays (its name is not reused) with status DELETED. */
  async deleteAccount(issuer: Issuer, account: string): Promise<AccountView> {
    return this.updateAccount(issuer, account, { status: AccountStatus.DELETED });
  }

  async setAttribute(issuer: Issuer, account: string, key: string, value: string | number | boolean): Promise<void> {
    this.permissions.assertAdmin(issuer, `set attributes of account '${account}'`);
    validateAttributeKey(key);
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new InvalidInput(`Invalid value for attribute '${key}': give a string, number or boolean.`, { rucioClass: 'InvalidValueForKey' });
    }
    await unitOfWork(this.dataSource, { what: `attribute '${key}' of account '${account}'` }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      await upsertAccountAttribute(manager, account, key, value);
    });
  }

  async listAttributes(issuer: Issuer, account: string): Promise<AccountAttribute[]> {
    validateAccountName(account);
    return unitOfWork(this.dataSource, { what: `attributes of account '${account}'` }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      return listAccountAttributes(manager, account);
    });
  }

  async deleteAttribute(issuer: Issuer, account: string, key: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `delete attributes of account '${account}'`);
    await unitOfWork(this.dataSource, { what: `attribute '${key}' of account '${account}'` }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      if (!(await deleteAccountAttribute(manager, account, key))) {
        throw new NotFound(`Account '${account}' has no attribute '${key}'.`, { rucioClass: 'KeyNotFound', details: { account, key } });
      }
    });
  }

  async isAdmin(account: string): Promise<boolean> {
    return isAdminAccount(this.dataSource.manager, account);
  }

  /**
   * Creates, if absent, the administrator account `root` (attribute admin=true) with a userpass identity `root`.
   * The password is `password`, or generated and returned so the caller can show it once. An existing root
   * account is never changed.
   */
  async ensureRootAccount(password?: string): Promise<RootBootstrap> {
    if (await findAccount(this.dataSource.manager, ROOT_ACCOUNT)) return { created: false };
    if (password !== undefined && (typeof password !== 'string' || password.length === 0)) {
      throw new InvalidInput('The root password must not be empty.', { rucioClass: 'InputValidationError' });
    }
    const generatedPassword = password === undefined ? generatePassword() : undefined;
    const passwordHash = await hashPassword(password ?? generatedPassword!);
    const created = await unitOfWork(this.dataSource, { what: `account '${ROOT_ACCOUNT}'` }, async (manager) => {
      if (!(await insertAccount(manager, { account: ROOT_ACCOUNT, accountType: AccountType.SERVICE }))) return false;
      await upsertAccountAttribute(manager, ROOT_ACCOUNT, 'admin', true);
      await upsertIdentityPassword(manager, { identity: ROOT_ACCOUNT, identityType: IdentityType.USERPASS, passwordHash });
      await insertIdentityAccount(manager, { identity: ROOT_ACCOUNT, identityType: IdentityType.USERPASS, account: ROOT_ACCOUNT, isDefault: true });
      return true;
    });
    return created ? { created, ...(generatedPassword ? { generatedPassword } : {}) } : { created: false };
  }

  // Identities (see IdentityService).

  addAccountIdentity(issuer: Issuer, input: NewAccountIdentity): Promise<{ identityCreated: boolean }> {
    return this.identities.addAccountIdentity(issuer, input);
  }

  addUserpassIdentity(issuer: Issuer, input: UserpassIdentityInput): Promise<{ identityCreated: boolean }> {
    return this.identities.addUserpassIdentity(issuer, input);
  }

  listIdentities(issuer: Issuer, account: string): Promise<IdentityView[]> {
    return this.identities.listIdentities(issuer, account);
  }

  listAccountsOfIdentity(issuer: Issuer, identity: string, type: string): Promise<string[]> {
    return this.identities.listAccountsOfIdentity(issuer, identity, type);
  }

  deleteAccountIdentity(issuer: Issuer, input: { account: string; identity: string; type: string }): Promise<void> {
    return this.identities.deleteAccountIdentity(issuer, input);
  }

  deleteIdentity(issuer: Issuer, identity: string, type: string): Promise<void> {
    return this.identities.deleteIdentity(issuer, identity, type);
  }

  // Authentication (see AuthenticationService).

  authenticateUserpass(account: string, username: string, password: string, options: LoginOptions = {}): Promise<AuthToken> {
    return this.authentication.authenticateUserpass(account, username, password, options);
  }

  authenticateUserpassIdentity(username: string, password: string, options: LoginOptions = {}): Promise<AuthToken | { accounts: string[] }> {
    return this.authentication.authenticateUserpassIdentity(username, password, options);
  }

  authenticateOidcSession(accessToken: string, account: string | undefined, options: LoginOptions & { subject?: string } = {}): Promise<AuthToken | { accounts: string[] }> {
    return this.authentication.authenticateOidcSession(accessToken, account, options);
  }

  validateToken(token: string, options: { account?: string } = {}): Promise<Issuer> {
    return this.authentication.validateToken(token, options);
  }

  describeToken(token: string, options: { account?: string } = {}): Promise<TokenDescription> {
    return this.authentication.describeToken(token, options);
  }

  revokeToken(token: string): Promise<boolean> {
    return this.authentication.revokeToken(token);
  }

  purgeExpiredTokens(now?: Date): Promise<number> {
    return this.authentication.purgeExpiredTokens(now);
  }
}
