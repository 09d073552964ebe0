import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Duplicate, IdentityType, InvalidInput, NotFound, validateAccountName } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findAccount } from '@tarn/catalogue/repositories/account.repository.js';
import {
  deleteIdentity,
  deleteIdentityAccount,
  deleteIdentityIfUnmapped,
  findIdentity,
  insertIdentity,
  insertIdentityAccount,
  listAccountsOfIdentity,
  listIdentitiesOfAccount,
} from '@tarn/catalogue/repositories/identity.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import type { IdentityView, NewAccountIdentity, UserpassIdentityInput } from './account.types.js';
import { hashPassword } from './password-hash.js';

const MAX_PASSWORD_LENGTH = 1024;

export function parseIdentityType(type: unknown): IdentityType {
  const value = Object.values(IdentityType).find((t) => t === String(type).toUpperCase());
  if (!value) {
    throw new InvalidInput(`Invalid identity type ${JSON.stringify(type)}: use one of ${Object.values(IdentityType).join(', ')}.`, {
      rucioClass: 'InvalidObject',
      details: { type },
    });
  }
  return value;
}

function validateIdentity(identity: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof identity !== 'string' || identity.length === 0 || identity.length > 2048 || /[\u0000-\u001f\u007f]/.test(identity)) {
    throw new InvalidInput(`Invalid identity ${JSON.stringify(identity)}: 1 to 2048 printable characters are expected.`, {
      rucioClass: 'InvalidObject',
    });
  }
  return identity;
}

const NOT_MAPPED = (identity: string, type: string, account: string) =>
  new NotFound(`Identity '${identity}' (${type}) is not mapped to account '${account}'. List the account's identities to check.`, {
    rucioClass: 'IdentityNotFound',
    details: { identity, type, account },
  });

/** Identities (userpass with a scrypt-hashed password, X509 DNs, ...) and which accounts each may act as. */
@Injectable()
export class IdentityService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /**
   * Maps an identity to an account, creating the identity when new (a new USERPASS identity needs a password; an
   * existing identity keeps its password). Administrators only, as Rucio's add_account_identity.
   */
  async addAccountIdentity(issuer: Issuer, input: NewAccountIdentity): Promise<{ identityCreated: boolean }> {
    this.permissions.assertAdmin(issuer, `add identities to account '${input?.account}'`);
    const account = validateAccountName(input.account);
    const identity = validateIdentity(input.identity);
    const type = parseIdentityType(input.type);
    if (input.password !== undefined) {
      if (type !== IdentityType.USERPASS) {
        throw new InvalidInput(`Only USERPASS identities have a password; '${identity}' is ${type}.`, { rucioClass: 'InvalidObject' });
      }
      if (typeof input.password !== 'string' || input.password.length === 0 || input.password.length > MAX_PASSWORD_LENGTH) {
        throw new InvalidInput(`The password of '${identity}' must have 1 to ${MAX_PASSWORD_LENGTH} characters.`, {
          rucioClass: 'InputValidationError',
        });
      }
    }
    let known = await findIdentity(this.dataSource.manager, identity, type);
    // An identity no account is mapped to any more (left by an older Tarn) is taken as new: it gets the new password.
    if (known && input.password !== undefined && (await listAccountsOfIdentity(this.dataSource.manager, identity, type)).length === 0) {
      await unitOfWork(this.dataSource, { what: `identity '${identity}'` }, (manager) => deleteIdentityIfUnmapped(manager, identity, type));
      known = null;
    }
    if (!known && type === IdentityType.USERPASS && input.password === undefined) {
      throw new InvalidInput(`A new USERPASS identity needs a password: '${identity}' has none yet.`, { rucioClass: 'InputValidationError' });
    }
    if (known && input.password !== undefined) {
      throw new Duplicate(
        `Identity '${identity}' (${type}) already exists with its own password: map it without a password, or choose another username.`,
        { rucioClass: 'Duplicate', details: { identity, type } },
      );
    }
    const passwordHash = !known && input.password !== undefined ? await hashPassword(input.password) : null;
    return unitOfWork(this.dataSource, { what: `identity '${identity}' of account '${account}'` }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      const identityCreated = await insertIdentity(manager, { identity, identityType: type, passwordHash, email: input.email ?? null });
      if (identityCreated === false && passwordHash !== null) {
        throw new Duplicate(`Identity '${identity}' (${type}) was just created by someone else; try again.`, { rucioClass: 'Duplicate' });
      }
      if (!(await insertIdentityAccount(manager, { identity, identityType: type, account, isDefault: input.isDefault }))) {
        throw new Duplicate(`Identity '${identity}' (${type}) is already mapped to account '${account}'.`, {
          rucioClass: 'Duplicate',
          details: { identity, type, account },
        });
      }
      return { identityCreated };
    });
  }

  /** Shortcut for the common case: a username and password for an account. */
  async addUserpassIdentity(issuer: Issuer, input: UserpassIdentityInput): Promise<{ identityCreated: boolean }> {
    const { account, username, password, email } = input;
    return this.addAccountIdentity(issuer, { account, identity: username, type: IdentityType.USERPASS, password, email });
  }

  /** The identities mapped to an account; the account itself or administrators. */
  async listIdentities(issuer: Issuer, account: string): Promise<IdentityView[]> {
    validateAccountName(account);
    this.permissions.assertSelfOrAdmin(issuer, account, 'list the identities');
    return unitOfWork(this.dataSource, { what: `identities of account '${account}'` }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      const rows = await listIdentitiesOfAccount(manager, account);
      return rows.map((r) => ({ identity: r.identity, type: r.identityType, email: r.email, isDefault: r.isDefault }));
    });
  }

  /** The accounts an identity may act as; administrators only. */
  async listAccountsOfIdentity(issuer: Issuer, identity: string, type: string): Promise<string[]> {
    this.permissions.assertAdmin(issuer, 'list the accounts of an identity');
    return listAccountsOfIdentity(this.dataSource.manager, validateIdentity(identity), parseIdentityType(type));
  }

  /**
   * Removes one identity -> account mapping; the identity stays for its other accounts, and goes with its last one (so
   * that it can be added again, with a new password).
   */
  async deleteAccountIdentity(issuer: Issuer, input: { account: string; identity: string; type: string }): Promise<void> {
    this.permissions.assertAdmin(issuer, `remove identities of account '${input?.account}'`);
    const type = parseIdentityType(input.type);
    await unitOfWork(this.dataSource, { what: `identity '${input.identity}' of account '${input.account}'` }, async (manager) => {
      if (!(await deleteIdentityAccount(manager, input.identity, type, input.account))) throw NOT_MAPPED(input.identity, type, input.account);
      await deleteIdentityIfUnmapped(manager, input.identity, type);
    });
  }

  /** Deletes an identity and all its mappings; it can no longer log in. */
  async deleteIdentity(issuer: Issuer, identity: string, type: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `delete identity '${identity}'`);
    const identityType = parseIdentityType(type);
    await unitOfWork(this.dataSource, { what: `identity '${identity}'` }, async (manager) => {
      if (!(await deleteIdentity(manager, identity, identityType))) {
        throw new NotFound(`Identity '${identity}' (${identityType}) not found.`, { rucioClass: 'IdentityNotFound', details: { identity } });
      }
    });
  }
}
