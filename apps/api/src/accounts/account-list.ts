import { InvalidInput } from '@tarn/domain';
import { type AccountService, type AccountView, type Issuer } from '@tarn/core';

const IDENTITY_TYPES = ['USERPASS', 'X509', 'GSS', 'SSH', 'OIDC'];

function first(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function sameValue(stored: string | number | boolean, wanted: string): boolean {
  return typeof stored === 'boolean' ? String(stored) === wanted.toLowerCase() : String(stored) === wanted;
}

/**
 * GET /accounts/ with Rucio's filters: `account_type`, `status`, `account` and `email` (with `*` wildcards; email in any case), `identity`
 * (accounts the identity may act as; administrators only), and any other key=value as an account attribute.
 */
export async function listAccountsFiltered(accounts: AccountService, issuer: Issuer, query: Record<string, unknown>): Promise<AccountView[]> {
  const filters = new Map(Object.entries(query).flatMap(([key, value]) => (first(value) === undefined ? [] : [[key, first(value)!]])));
  const take = (key: string): string | undefined => {
    const value = filters.get(key);
    filters.delete(key);
    return value;
  };
  const type = take('account_type') ?? take('type');
  const status = take('status');
  const pattern = take('account');
  const identity = take('identity');
  const email = take('email');

  let rows = await accounts.listAccounts(issuer, { type, status });
  if (pattern !== undefined) {
    const matcher = wildcard(pattern);
    rows = rows.filter((row) => matcher.test(row.account));
  }
  if (email !== undefined) {
    const matcher = wildcard(email.toLowerCase());
    rows = rows.filter((row) => row.email !== null && matcher.test(row.email.toLowerCase()));
  }
  if (identity !== undefined) {
    const allowed = new Set<string>();
    for (const identityType of IDENTITY_TYPES) {
      for (const account of await accounts.listAccountsOfIdentity(issuer, identity, identityType)) allowed.add(account);
    }
    rows = rows.filter((row) => allowed.has(row.account));
  }
  for (const key of filters.keys()) {
    if (!/^[A-Za-z0-9_.:-]{1,255}$/.test(key)) {
      throw new InvalidInput(`Invalid account filter '${key}': use account_type, status, account, email, identity or an attribute key.`, {
        rucioClass: 'InvalidObject',
      });
    }
  }
  if (filters.size === 0) return rows;
  const kept: AccountView[] = [];
  for (const row of rows) {
    const attributes = new Map((await accounts.listAttributes(issuer, row.account)).map((a) => [a.key, a.value]));
    if ([...filters].every(([key, wanted]) => attributes.has(key) && sameValue(attributes.get(key)!, wanted))) kept.push(row);
  }
  return kept;
}
