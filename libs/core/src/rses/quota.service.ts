import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isTarnError } from '@tarn/domain';
import { listAccountExpressionLimits, listAccountRseLimits } from '@tarn/catalogue/repositories/account-limit.repository.js';
import { listAccountUsage } from '@tarn/catalogue/repositories/account-usage.repository.js';
import { RseExpressionService } from './rse-expression.service.js';

/** Stored limits use -1 for "unlimited". */
export function limitBytes(bytes: number): number {
  return bytes < 0 ? Infinity : bytes;
}

export interface ExpressionLimitScope {
  rseExpression: string;
  bytes: number;
  rseIds: string[];
}

/** The RSEs each of the account's expression limits selects now; limits whose expression selects nothing or no longer parses apply nowhere. */
export async function expressionLimitScopes(
  expressions: RseExpressionService,
  manager: EntityManager,
  account: string,
): Promise<ExpressionLimitScope[]> {
  const scopes: ExpressionLimitScope[] = [];
  for (const limit of await listAccountExpressionLimits(manager, account)) {
    try {
      const rses = await expressions.resolve(manager, limit.rseExpression, { allowEmpty: true });
      scopes.push({ rseExpression: limit.rseExpression, bytes: limit.bytes, rseIds: rses.map((rse) => rse.id) });
    } catch (error) {
      // An expression naming an attribute or RSE that is gone selects nothing, as in Rucio.
      if (!isTarnError(error) || error.rucioClass !== 'InvalidRSEExpression') throw error;
      scopes.push({ rseExpression: limit.rseExpression, bytes: limit.bytes, rseIds: [] });
    }
  }
  return scopes;
}

/** How many bytes an account may still lock per RSE, from its per-RSE and per-expression limits. */
@Injectable()
export class QuotaService {
  constructor(@Inject(RseExpressionService) private readonly expressions: RseExpressionService) {}

  /**
   * For each RSE: min(account limit on the RSE - the account's usage there, and for every expression
   * limit whose expression selects the RSE: that limit - the account's usage summed over all RSEs the
   * expression selects), never below 0; Infinity where no limit applies.
   */
  async remainingQuota(manager: EntityManager, account: string, rseIds: string[]): Promise<Map<string, number>> {
    const wanted = [...new Set(rseIds)];
    const remaining = new Map<string, number>(wanted.map((id) => [id, Infinity]));
    if (wanted.length === 0) return remaining;

    const scopes = (await expressionLimitScopes(this.expressions, manager, account)).filter((scope) =>
      scope.rseIds.some((id) => remaining.has(id)),
    );
    const local = await listAccountRseLimits(manager, account, wanted);
    const usageIds = [...new Set([...wanted, ...scopes.flatMap((scope) => scope.rseIds)])];
    const usage = new Map((await listAccountUsage(manager, account, usageIds)).map((row) => [row.rseId, row.bytes]));
    const used = (id: string): number => usage.get(id) ?? 0;

    const lower = (id: string, left: number): void => {
      if (remaining.has(id)) remaining.set(id, Math.min(remaining.get(id)!, Math.max(0, left)));
    };
    for (const limit of local) lower(limit.rseId, limitBytes(limit.bytes) - used(limit.rseId));
    for (const scope of scopes) {
      const left = limitBytes(scope.bytes) - scope.rseIds.reduce((sum, id) => sum + used(id), 0);
      for (const id of scope.rseIds) lower(id, left);
    }
    return remaining;
  }
}
