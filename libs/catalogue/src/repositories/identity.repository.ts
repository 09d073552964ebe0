import { EntityManager } from 'typeorm';
import { AccountStatus } from '@tarn/domain';
import { ADMIN_ATTRIBUTE_VALUES, adminCondition } from './account.repository.js';

export interface IdentityRow {
  identity: string;
  identityType: string;
  email: string | null;
  hasPassword: boolean;
}

export interface AccountIdentityRow {
  identity: string;
  identityType: string;
  email: string | null;
  isDefault: boolean;
}

/** What a userpass login needs to know, in one round trip. */
export interface UserpassLoginRow {
  passwordHash: string | null;
  /** Null when the account does not exist. */
  accountStatus: AccountStatus | null;
  mapped: boolean;
}

export async function findIdentity(manager: EntityManager, identity: string, identityType: string): Promise<IdentityRow | null> {
  const rows = await manager.query(
    `SELECT identity, identity_type AS "identityType", email, password_hash IS NOT NULL AS "hasPassword"
       FROM identities WHERE identity = $1 AND identity_type = $2 AND NOT deleted`,
    [identity, identityType],
  );
  return rows[0] ?? null;
}

/** Inserts the identity unless it exists; true when it was inserted. */
export async function insertIdentity(
  manager: EntityManager,
  identity: { identity: string; identityType: string; passwordHash?: string | null; email?: string | null },
): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO identities (identity, identity_type, password_hash, email) VALUES ($1, $2, $3, $4)
     ON CONFLICT (identity, identity_type) DO NOTHING RETURNING identity`,
    [identity.identity, identity.identityType, identity.passwordHash ?? null, identity.email ?? null],
  );
  return rows.length === 1;
}

/** Inserts the identity or replaces its password (bootstrap of an orphaned root identity only). */
export async function upsertIdentityPassword(
  manager: EntityManager,
  identity: { identity: string; identityType: string; passwordHash: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO identities (identity, identity_type, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (identity, identity_type) DO UPDATE SET password_hash = EXCLUDED.password_hash, deleted = false, updated_at = now()`,
    [identity.identity, identity.identityType, identity.passwordHash],
  );
}

/** Maps an identity to an account unless mapped; true when the mapping was added. */
export async function insertIdentityAccount(
  manager: EntityManager,
  mapping: { identity: string; identityType: string; account: string; isDefault?: boolean },
): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO identity_accounts (identity, identity_type, account, is_default) VALUES ($1, $2, $3, $4)
     ON CONFLICT (identity, identity_type, account) DO NOTHING RETURNING account`,
    [mapping.identity, mapping.identityType, mapping.account, mapping.isDefault ?? false],
  );
  return rows.length === 1;
}

export async function deleteIdentityAccount(manager: EntityManager, identity: string, identityType: string, account: string): Promise<boolean> {
  const [, count] = await manager.query(
    `DELETE FROM identity_accounts WHERE identity = $1 AND identity_type = $2 AND account = $3`,
    [identity, identityType, account],
  );
  return count > 0;
}

/** Removes the identity when no account is mapped to it any more (it could not log in to anything). */
export async function deleteIdentityIfUnmapped(manager: EntityManager, identity: string, identityType: string): Promise<boolean> {
  const [, count] = await manager.query(
    `DELETE FROM identities i WHERE i.identity = $1 AND i.identity_type = $2
        AND NOT EXISTS (SELECT 1 FROM identity_accounts ia WHERE ia.identity = i.identity AND ia.identity_type = i.identity_type)`,
    [identity, identityType],
  );
  return count > 0;
}

/** Removes the identity and every account mapping of it; true when the identity existed. */
export async function deleteIdentity(manager: EntityManager, identity: string, identityType: string): Promise<boolean> {
  await manager.query(`DELETE FROM identity_accounts WHERE identity = $1 AND identity_type = $2`, [identity, identityType]);
  const [, count] = await manager.query(`DELETE FROM identities WHERE identity = $1 AND identity_type = $2`, [identity, identityType]);
  return count > 0;
}

export async function listIdentitiesOfAccount(manager: EntityManager, account: string): Promise<AccountIdentityRow[]> {
  return manager.query(
    `SELECT ia.identity, ia.identity_type AS "identityType", i.email, ia.is_default AS "isDefault"
       FROM identity_accounts ia
       JOIN identities i ON i.identity = ia.identity AND i.identity_type = ia.identity_type AND NOT i.deleted
      WHERE ia.account = $1
      ORDER BY ia.identity_type, ia.identity`,
    [account],
  );
}

export async function listAccountsOfIdentity(manager: EntityManager, identity: string, identityType: string): Promise<string[]> {
  const rows: { account: string }[] = await manager.query(
    `SELECT account FROM identity_accounts WHERE identity = $1 AND identity_type = $2 ORDER BY account`,
    [identity, identityType],
  );
  return rows.map((r) => r.account);
}

export async function findUserpassLogin(manager: EntityManager, username: string, account: string): Promise<UserpassLoginRow | null> {
  const rows = await manager.query(
    `SELECT i.password_hash AS "passwordHash", a.status AS "accountStatus",
            EXISTS (SELECT 1 FROM identity_accounts ia
                     WHERE ia.identity = i.identity AND ia.identity_type = i.identity_type AND ia.account = $2) AS mapped
       FROM identities i
       LEFT JOIN accounts a ON a.account = $2
      WHERE i.identity = $1 AND i.identity_type = 'USERPASS' AND NOT i.deleted`,
    [username, account],
  );
  return rows[0] ?? null;
}

/** A userpass identity's password hash and the active accounts it is mapped to (login without naming an account). */
export async function findUserpassAccounts(manager: EntityManager, username: string): Promise<{ passwordHash: string | null; accounts: string[] } | null> {
  const rows = await manager.query(
    `SELECT i.password_hash AS "passwordHash",
            ARRAY(SELECT ia.account FROM identity_accounts ia JOIN accounts a ON a.account = ia.account
                   WHERE ia.identity = i.identity AND ia.identity_type = i.identity_type AND a.status = 'ACTIVE'
                   ORDER BY ia.is_default DESC, ia.account) AS accounts
       FROM identities i
      WHERE i.identity = $1 AND i.identity_type = 'USERPASS' AND NOT i.deleted`,
    [username],
  );
  return rows[0] ?? null;
}

/**
 * SQL for the active GROUP accounts whose `oidc_group` attribute is one of the provider's groups in `groups` (a text[]
 * expression): what a token's groups make its holder a member of.
 */
export function oidcGroupAccounts(groups: string): string {
  return `ARRAY(SELECT g.account FROM account_attributes ga JOIN accounts g ON g.account = ga.account
                 WHERE ga.key = 'oidc_group' AND g.account_type = 'GROUP' AND g.status = 'ACTIVE'
                   AND ga.value #>> '{}' = ANY(${groups})
                 ORDER BY g.account)`;
}

/** An account an OIDC identity may act as, with what a request needs to know of it. */
export interface OidcLoginRow {
  account: string;
  isDefault: boolean;
  accountStatus: AccountStatus;
  admin: boolean;
  /** GROUP accounts whose `oidc_group` attribute is one of the token's groups (the same for every row). */
  groups: string[];
}

/**
 * The accounts an OIDC identity (`SUB=..., ISS=...`) maps to, and the active GROUP accounts whose `oidc_group`
 * attribute names one of the token's groups, in one round trip.
 */
export async function findOidcLogins(manager: EntityManager, identity: string, tokenGroups: readonly string[]): Promise<OidcLoginRow[]> {
  return manager.query(
    `SELECT ia.account, ia.is_default AS "isDefault", a.status AS "accountStatus", ${adminCondition('ia.account', '$3')} AS admin,
            ${oidcGroupAccounts('$2::text[]')} AS groups
       FROM identity_accounts ia
       JOIN identities i ON i.identity = ia.identity AND i.identity_type = ia.identity_type AND NOT i.deleted
       JOIN accounts a ON a.account = ia.account
      WHERE ia.identity = $1 AND ia.identity_type = 'OIDC'
      ORDER BY ia.account`,
    [identity, tokenGroups, ADMIN_ATTRIBUTE_VALUES],
  );
}
