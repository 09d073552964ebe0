import { EntityManager } from 'typeorm';
import { AccountStatus, AccountType } from '@tarn/domain';

export interface AccountRow {
  account: string;
  accountType: AccountType;
  status: AccountStatus;
  email: string | null;
  suspendedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AccountAttributeRow {
  key: string;
  value: string | number | boolean;
}

const ACCOUNT_COLUMNS = `account, account_type AS "accountType", status, email, suspended_at AS "suspendedAt",
  deleted_at AS "deletedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Inserts the account unless it exists; true when it was inserted. */
export async function insertAccount(
  manager: EntityManager,
  account: { account: string; accountType: AccountType; email?: string | null },
): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO accounts (account, account_type, email) VALUES ($1, $2, $3)
     ON CONFLICT (account) DO NOTHING RETURNING account`,
    [account.account, account.accountType, account.email ?? null],
  );
  return rows.length === 1;
}

export async function findAccount(manager: EntityManager, account: string, options: { lock?: boolean } = {}): Promise<AccountRow | null> {
  const rows = await manager.query(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE account = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [account],
  );
  return rows[0] ?? null;
}

export async function listAccounts(
  manager: EntityManager,
  filter: { accountType?: AccountType; status?: AccountStatus; includeDeleted?: boolean },
): Promise<AccountRow[]> {
  return manager.query(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts
      WHERE ($1::accounts_account_type_enum IS NULL OR account_type = $1)
        AND ($2::accounts_status_enum IS NULL OR status = $2)
        AND ($3 OR $2::accounts_status_enum IS NOT NULL OR status <> 'DELETED')
      ORDER BY account`,
    [filter.accountType ?? null, filter.status ?? null, filter.includeDeleted ?? false],
  );
}

/** Sets status (stamping suspended_at / deleted_at) and/or email; returns the updated row or null if absent. */
export async function updateAccount(
  manager: EntityManager,
  account: string,
  changes: { status?: AccountStatus; email?: string | null },
): Promise<AccountRow | null> {
  const [rows] = await manager.query(
    `UPDATE accounts SET
        status = COALESCE($2::accounts_status_enum, status),
        suspended_at = CASE WHEN $2 = 'SUSPENDED' AND status <> 'SUSPENDED' THEN now()
                            WHEN $2 = 'ACTIVE' THEN NULL ELSE suspended_at END,
        deleted_at = CASE WHEN $2 = 'DELETED' AND status <> 'DELETED' THEN now()
                          WHEN $2 = 'ACTIVE' THEN NULL ELSE deleted_at END,
        email = CASE WHEN $3 THEN $4 ELSE email END,
        updated_at = now()
      WHERE account = $1
      RETURNING ${ACCOUNT_COLUMNS}`,
    [account, changes.status ?? null, changes.email !== undefined, changes.email ?? null],
  );
  return rows[0] ?? null;
}

export async function upsertAccountAttribute(manager: EntityManager, account: string, key: string, value: unknown): Promise<void> {
  await manager.query(
    `INSERT INTO account_attributes (account, key, value) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (account, key) DO UPDATE SET value = EXCLUDED.value`,
    [account, key, JSON.stringify(value)],
  );
}

export async function listAccountAttributes(manager: EntityManager, account: string): Promise<AccountAttributeRow[]> {
  return manager.query(`SELECT key, value FROM account_attributes WHERE account = $1 ORDER BY key`, [account]);
}

export async function deleteAccountAttribute(manager: EntityManager, account: string, key: string): Promise<boolean> {
  const [, count] = await manager.query(`DELETE FROM account_attributes WHERE account = $1 AND key = $2`, [account, key]);
  return count > 0;
}

/** Values of the `admin` attribute that make an account an administrator (Rucio stores attributes as text). */
export const ADMIN_ATTRIBUTE_VALUES = ['true', '"true"', '"True"', '"TRUE"', '1', '"1"'];

/** SQL deciding whether the account in `accountColumn` is an administrator; `valuesParam` binds ADMIN_ATTRIBUTE_VALUES. */
export function adminCondition(accountColumn: string, valuesParam: string): string {
  // Like Rucio, the account named root is always an administrator.
  return `(${accountColumn} = 'root' OR EXISTS (SELECT 1 FROM account_attributes aa
            WHERE aa.account = ${accountColumn} AND aa.key = 'admin' AND aa.value = ANY(${valuesParam}::jsonb[])))`;
}

export async function isAdminAccount(manager: EntityManager, account: string): Promise<boolean> {
  const rows = await manager.query(`SELECT ${adminCondition('$1::varchar', '$2')} AS admin`, [account, ADMIN_ATTRIBUTE_VALUES]);
  return rows[0].admin === true;
}
