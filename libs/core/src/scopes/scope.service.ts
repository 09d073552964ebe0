import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AccountStatus, Duplicate, InvalidInput, NotFound, validateAccountName, validateScope } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findAccount } from '@tarn/catalogue/repositories/account.repository.js';
import {
  deleteScopeGrant,
  findScope,
  insertScope,
  insertScopeGrant,
  listScopeGrants,
  listScopes,
  type ScopeRow,
  updateScopeAccount,
  updateScopeRestricted,
} from '@tarn/catalogue/repositories/scope.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';

export interface ScopeView {
  scope: string;
  account: string;
  isDefault: boolean;
  restricted: boolean;
  closed: boolean;
  createdAt: Date;
}

const scopeView = (row: ScopeRow): ScopeView => ({
  scope: row.scope,
  account: row.account,
  isDefault: row.isDefault,
  restricted: row.restricted,
  closed: row.closed,
  createdAt: row.createdAt,
});

/** Scopes: the partitions of the namespace, each owned by an account, optionally restricted (embargoed). */
@Injectable()
export class ScopeService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** As Rucio's add_scope: an administrator, or an account adding a scope for itself. */
  async addScope(issuer: Issuer, input: { scope: string; account: string; isDefault?: boolean }): Promise<ScopeView> {
    const scope = validateScope(input?.scope);
    const account = validateAccountName(input.account);
    this.permissions.assertSelfOrAdmin(issuer, account, `add scope '${scope}'`);
    return unitOfWork(this.dataSource, { what: `scope '${scope}'` }, async (manager) => {
      const owner = await findAccount(manager, account);
      if (!owner) throw NotFound.account(account);
      if (owner.status !== AccountStatus.ACTIVE) {
        throw new InvalidInput(`Account '${account}' is ${owner.status.toLowerCase()}: it cannot own a new scope.`, {
          rucioClass: 'UnsupportedOperation',
        });
      }
      if (!(await insertScope(manager, { scope, account, isDefault: input.isDefault }))) {
        throw new Duplicate(`Scope '${scope}' already exists. Choose another name.`, { rucioClass: 'Duplicate', details: { scope } });
      }
      return scopeView((await findScope(manager, scope))!);
    });
  }

  async getScope(issuer: Issuer, scope: string): Promise<ScopeView> {
    validateScope(scope);
    const row = await findScope(this.dataSource.manager, scope);
    if (!row) throw NotFound.scope(scope);
    return scopeView(row);
  }

  /** All scopes, or those of one account (Rucio's list_scopes / get_scopes). */
  async listScopes(issuer: Issuer, filter: { account?: string } = {}): Promise<ScopeView[]> {
    if (filter.account !== undefined) {
      validateAccountName(filter.account);
      if (!(await findAccount(this.dataSource.manager, filter.account))) throw NotFound.account(filter.account);
    }
    return (await listScopes(this.dataSource.manager, filter)).map(scopeView);
  }

  /** Embargo: a restricted scope is readable only by its owner, accounts granted access, and administrators. */
  async setRestricted(issuer: Issuer, scope: string, restricted: boolean): Promise<ScopeView> {
    validateScope(scope);
    return unitOfWork(this.dataSource, { what: `scope '${scope}'` }, async (manager) => {
      await this.ownedScope(manager, issuer, scope, `restrict or open scope '${scope}'`);
      await updateScopeRestricted(manager, scope, restricted === true);
      return scopeView((await findScope(manager, scope))!);
    });
  }

  /**
   * Gives a scope another owner (Rucio's update_scope; administrators). The DIDs keep their accounts; the new owner
   * writes in the scope from now on, the old one no longer does (unless granted).
   */
  async changeOwner(issuer: Issuer, scope: string, account: string): Promise<ScopeView> {
    this.permissions.assertAdmin(issuer, `give scope '${scope}' to another account`);
    validateScope(scope);
    validateAccountName(account);
    return unitOfWork(this.dataSource, { what: `owner of scope '${scope}'` }, async (manager) => {
      const owner = await findAccount(manager, account);
      if (!owner || owner.deletedAt) throw NotFound.account(account);
      if (!(await updateScopeAccount(manager, scope, account))) throw NotFound.scope(scope);
      await deleteScopeGrant(manager, scope, account);
      return scopeView((await findScope(manager, scope))!);
    });
  }

  /** Lets another account write into (and read, when restricted) the scope; idempotent. Owner or administrators. */
  async grantAccess(issuer: Issuer, scope: string, account: string): Promise<{ granted: boolean }> {
    validateScope(scope);
    validateAccountName(account);
    return unitOfWork(this.dataSource, { what: `access of '${account}' to scope '${scope}'` }, async (manager) => {
      const row = await this.ownedScope(manager, issuer, scope, `grant access to scope '${scope}'`);
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      if (account === row.account) return { granted: false };
      return { granted: await insertScopeGrant(manager, scope, account) };
    });
  }

  /** Withdraws a grant; idempotent (`revoked` false when there was none). Owner or administrators. */
  async revokeAccess(issuer: Issuer, scope: string, account: string): Promise<{ revoked: boolean }> {
    validateScope(scope);
    validateAccountName(account);
    return unitOfWork(this.dataSource, { what: `access of '${account}' to scope '${scope}'` }, async (manager) => {
      await this.ownedScope(manager, issuer, scope, `revoke access to scope '${scope}'`);
      return { revoked: await deleteScopeGrant(manager, scope, account) };
    });
  }

  async listGrants(issuer: Issuer, scope: string): Promise<string[]> {
    validateScope(scope);
    return unitOfWork(this.dataSource, { what: `grants of scope '${scope}'` }, async (manager) => {
      await this.ownedScope(manager, issuer, scope, `list the grants of scope '${scope}'`);
      return listScopeGrants(manager, scope);
    });
  }

  private async ownedScope(manager: EntityManager, issuer: Issuer, scope: string, action: string): Promise<ScopeRow> {
    const row = await findScope(manager, scope, { lock: true });
    if (!row) throw NotFound.scope(scope);
    this.permissions.assertSelfOrAdmin(issuer, row.account, action);
    return row;
  }
}
