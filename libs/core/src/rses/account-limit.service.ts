import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { InvalidInput, NotFound } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import {
  accountExists,
  deleteAccountExpressionLimit,
  deleteAccountRseLimit,
  listAccountRseLimits,
  upsertAccountExpressionLimit,
  upsertAccountRseLimit,
} from '@tarn/catalogue/repositories/account-limit.repository.js';
import { listAccountUsage } from '@tarn/catalogue/repositories/account-usage.repository.js';
import { findRsesByIds } from '@tarn/catalogue/repositories/rse.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { expressionLimitScopes, limitBytes } from './quota.service.js';
import { RseExpressionService } from './rse-expression.service.js';
import { requireRse } from './rse-unit-of-work.js';

export interface AccountRseUsage {
  rseId: string;
  rse: string;
  files: number;
  bytes: number;
  /** Infinity when set to -1 (unlimited); 0 where no limit is set, as Rucio answers (Tarn then applies no per-RSE quota). */
  bytesLimit: number;
  bytesRemaining: number;
}

export interface AccountExpressionLimitView {
  rseExpression: string;
  /** Infinity for -1 (unlimited). */
  limit: number;
  resolvedRses: string[];
  resolvedRseIds: string[];
}

export interface AccountExpressionUsage {
  rseExpression: string;
  files: number;
  bytes: number;
  bytesLimit: number;
  bytesRemaining: number;
}

function limitValue(what: string, bytes: unknown): number {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < -1) {
    throw new InvalidInput(`${what} must be a whole number of bytes (0 or more, or -1 for unlimited), not ${JSON.stringify(bytes)}.`, {
      rucioClass: 'InvalidObject',
    });
  }
  return bytes;
}

async function requireAccount(manager: EntityManager, account: string): Promise<void> {
  if (typeof account !== 'string' || !(await accountExists(manager, account))) throw NotFound.account(String(account));
}

/** Account limits (quotas) per RSE and per RSE expression, and what accounts use. Limits are set by administrators. */
@Injectable()
export class AccountLimitService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  /** Bytes the account may lock on the RSE (-1: unlimited). */
  async setRseLimit(issuer: Issuer, account: string, rse: string, bytes: number): Promise<void> {
    this.permissions.assertAdmin(issuer, `set account limits of '${account}'`);
    limitValue(`The limit of account '${account}' on RSE '${rse}'`, bytes);
    await unitOfWork(this.dataSource, { what: `limit of account '${account}' on RSE '${rse}'` }, async (manager) => {
      await requireAccount(manager, account);
      const row = await requireRse(manager, rse, 'share');
      await upsertAccountRseLimit(manager, account, row.id, bytes);
    });
  }

  /** Returns whether a limit was set. */
  async deleteRseLimit(issuer: Issuer, account: string, rse: string): Promise<boolean> {
    this.permissions.assertAdmin(issuer, `delete account limits of '${account}'`);
    return unitOfWork(this.dataSource, { what: `limit of account '${account}' on RSE '${rse}'` }, async (manager) => {
      await requireAccount(manager, account);
      return deleteAccountRseLimit(manager, account, (await requireRse(manager, rse)).id);
    });
  }

  /** The account's per-RSE limits by RSE name (Infinity for unlimited); only `rse`'s when given. */
  async getRseLimits(issuer: Issuer, account: string, rse?: string): Promise<Record<string, number>> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'read the limits');
    const manager = this.dataSource.manager;
    await requireAccount(manager, account);
    const rseIds = rse === undefined ? undefined : [(await requireRse(manager, rse)).id];
    const limits = await listAccountRseLimits(manager, account, rseIds);
    return Object.fromEntries(limits.map((limit) => [limit.rse, limitBytes(limit.bytes)]));
  }

  /** Bytes the account may lock on all RSEs the expression selects, together (-1: unlimited). */
  async setExpressionLimit(issuer: Issuer, account: string, rseExpression: string, bytes: number): Promise<void> {
    this.permissions.assertAdmin(issuer, `set account limits of '${account}'`);
    limitValue(`The limit of account '${account}' on '${rseExpression}'`, bytes);
    await unitOfWork(this.dataSource, { what: `limit of account '${account}' on '${rseExpression}'` }, async (manager) => {
      await requireAccount(manager, account);
      await this.expressions.resolve(manager, rseExpression);
      await upsertAccountExpressionLimit(manager, account, rseExpression, bytes);
    });
  }

  async deleteExpressionLimit(issuer: Issuer, account: string, rseExpression: string): Promise<boolean> {
    this.permissions.assertAdmin(issuer, `delete account limits of '${account}'`);
    return unitOfWork(this.dataSource, { what: `limit of account '${account}' on '${rseExpression}'` }, async (manager) => {
      await requireAccount(manager, account);
      return deleteAccountExpressionLimit(manager, account, rseExpression);
    });
  }

  /** The account's expression limits with the RSEs each selects now, keyed by expression (Rucio's get_global_account_limits). */
  async getExpressionLimits(issuer: Issuer, account: string): Promise<Record<string, AccountExpressionLimitView>> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'read the limits');
    const manager = this.dataSource.manager;
    await requireAccount(manager, account);
    const scopes = await expressionLimitScopes(this.expressions, manager, account);
    const names = new Map((await findRsesByIds(manager, scopes.flatMap((s) => s.rseIds))).map((rse) => [rse.id, rse.rse]));
    return Object.fromEntries(
      scopes.map((scope) => [
        scope.rseExpression,
        {
          rseExpression: scope.rseExpression,
          limit: limitBytes(scope.bytes),
          resolvedRses: scope.rseIds.map((id) => names.get(id)!),
          resolvedRseIds: scope.rseIds,
        },
      ]),
    );
  }

  /** Usage and limit per RSE where the account uses something or has a limit; only `rse` when given. */
  async getRseUsage(issuer: Issuer, account: string, rse?: string): Promise<AccountRseUsage[]> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'read the usage');
    const manager = this.dataSource.manager;
    await requireAccount(manager, account);
    const rseIds = rse === undefined ? undefined : [(await requireRse(manager, rse)).id];
    const [usage, limits] = [await listAccountUsage(manager, account, rseIds), await listAccountRseLimits(manager, account, rseIds)];
    const rows = new Map<string, AccountRseUsage>();
    // Where no limit is set Rucio answers a limit of 0 (and a negative remainder), never Infinity.
    for (const u of usage) rows.set(u.rseId, { rseId: u.rseId, rse: u.rse, files: u.files, bytes: u.bytes, bytesLimit: 0, bytesRemaining: 0 });
    for (const l of limits) {
      const row = rows.get(l.rseId) ?? { rseId: l.rseId, rse: l.rse, files: 0, bytes: 0, bytesLimit: 0, bytesRemaining: 0 };
      row.bytesLimit = limitBytes(l.bytes);
      rows.set(l.rseId, row);
    }
    for (const row of rows.values()) row.bytesRemaining = row.bytesLimit - row.bytes;
    return [...rows.values()].sort((a, b) => (a.rse < b.rse ? -1 : a.rse > b.rse ? 1 : 0));
  }

  /** Usage summed over the RSEs of each expression limit of the account (Rucio's get_global_account_usage). */
  async getExpressionUsage(issuer: Issuer, account: string): Promise<AccountExpressionUsage[]> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'read the usage');
    const manager = this.dataSource.manager;
    await requireAccount(manager, account);
    const scopes = await expressionLimitScopes(this.expressions, manager, account);
    const usage = new Map((await listAccountUsage(manager, account, scopes.flatMap((s) => s.rseIds))).map((u) => [u.rseId, u]));
    return scopes.map((scope) => {
      const rows = scope.rseIds.map((id) => usage.get(id)).filter((u) => u !== undefined);
      const bytes = rows.reduce((sum, u) => sum + u.bytes, 0);
      const bytesLimit = limitBytes(scope.bytes);
      return { rseExpression: scope.rseExpression, files: rows.reduce((sum, u) => sum + u.files, 0), bytes, bytesLimit, bytesRemaining: bytesLimit - bytes };
    });
  }
}
