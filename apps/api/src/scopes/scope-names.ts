import { NotFound } from '@tarn/domain';
import type { Issuer, ScopeService } from '@tarn/core';

/** The names of the account's scopes; 404 ScopeNotFound when it has none, as Rucio answers. */
export async function scopeNamesOf(scopes: ScopeService, issuer: Issuer, account: string): Promise<string[]> {
  const names = (await scopes.listScopes(issuer, { account })).map((s) => s.scope);
  if (names.length === 0) {
    throw new NotFound(`Account '${account}' has no scope yet. An administrator (or the account itself) can add one.`, {
      rucioClass: 'ScopeNotFound',
      details: { account },
    });
  }
  return names;
}
