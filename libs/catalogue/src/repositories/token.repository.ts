import { EntityManager } from 'typeorm';
import { AccountStatus } from '@tarn/domain';
import { ADMIN_ATTRIBUTE_VALUES, adminCondition } from './account.repository.js';
import { oidcGroupAccounts } from './identity.repository.js';

export interface TokenRow {
  account: string;
  expiredAt: Date;
  /** Null when the account no longer exists. */
  accountStatus: AccountStatus | null;
  admin: boolean;
  /** The OIDC identity of a session opened through an identity provider, else the userpass identity (or null). */
  identity: string | null;
  /** For a session opened through an identity provider: the GROUP accounts its groups make it a member of; else null. */
  groups: string[] | null;
  /** For such a session: whether its identity is still mapped to its account (a bearer token's would be refused otherwise). */
  mapped: boolean;
}

export async function insertToken(
  manager: EntityManager,
  token: { tokenHash: string; account: string; identity: string | null; expiredAt: Date; ip?: string | null; oidcGroups?: readonly string[] | null },
): Promise<void> {
  await manager.query(
    `INSERT INTO tokens (token_hash, account, identity, expired_at, ip, oidc_groups) VALUES ($1, $2, $3, $4, $5, $6)`,
    [token.tokenHash, token.account, token.identity, token.expiredAt, token.ip ?? null, token.oidcGroups ?? null],
  );
}

/** The token's account, expiry, account status, admin flag and groups, in one round trip. */
export async function findToken(manager: EntityManager, tokenHash: string): Promise<TokenRow | null> {
  const rows = await manager.query(
    `SELECT t.account, t.expired_at AS "expiredAt", a.status AS "accountStatus", ${adminCondition('t.account', '$2')} AS admin,
            t.identity, CASE WHEN t.oidc_groups IS NULL THEN NULL ELSE ${oidcGroupAccounts('t.oidc_groups')} END AS groups,
            t.oidc_groups IS NULL OR EXISTS (SELECT 1 FROM identity_accounts ia JOIN identities i ON i.identity = ia.identity AND i.identity_type = ia.identity_type
                                              WHERE ia.identity = t.identity AND ia.identity_type = 'OIDC' AND ia.account = t.account AND NOT i.deleted) AS mapped
       FROM tokens t LEFT JOIN accounts a ON a.account = t.account
      WHERE t.token_hash = $1`,
    [tokenHash, ADMIN_ATTRIBUTE_VALUES],
  );
  return rows[0] ?? null;
}

export async function deleteToken(manager: EntityManager, tokenHash: string): Promise<boolean> {
  const [, count] = await manager.query(`DELETE FROM tokens WHERE token_hash = $1`, [tokenHash]);
  return count > 0;
}

export async function deleteTokensOfAccount(manager: EntityManager, account: string): Promise<number> {
  const [, count] = await manager.query(`DELETE FROM tokens WHERE account = $1`, [account]);
  return count;
}

export async function deleteExpiredTokens(manager: EntityManager, now: Date): Promise<number> {
  const [, count] = await manager.query(`DELETE FROM tokens WHERE expired_at <= $1`, [now]);
  return count;
}
