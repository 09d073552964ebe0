import { EntityManager } from 'typeorm';
import { deletedAny } from './rse-sql.js';

export interface AccountRseLimitRecord {
  account: string;
  rseId: string;
  rse: string;
  /** -1 means unlimited. */
  bytes: number;
}

export interface AccountExpressionLimitRecord {
  account: string;
  rseExpression: string;
  /** -1 means unlimited. */
  bytes: number;
}

export async function accountExists(manager: EntityManager, account: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(`SELECT 1 FROM accounts WHERE account = $1 AND status <> 'DELETED'`, [account]);
  return rows.length > 0;
}

export async function upsertAccountRseLimit(manager: EntityManager, account: string, rseId: string, bytes: number): Promise<void> {
  await manager.query(
    `INSERT INTO account_limits (account, rse_id, bytes) VALUES ($1, $2, $3)
     ON CONFLICT (account, rse_id) DO UPDATE SET bytes = EXCLUDED.bytes, updated_at = now()`,
    [account, rseId, bytes],
  );
}

export async function deleteAccountRseLimit(manager: EntityManager, account: string, rseId: string): Promise<boolean> {
  return deletedAny(manager, `DELETE FROM account_limits WHERE account = $1 AND rse_id = $2 RETURNING 1`, [account, rseId]);
}

/** The account's limits on live RSEs, all of them or those of `rseIds`. */
export async function listAccountRseLimits(manager: EntityManager, account: string, rseIds?: string[]): Promise<AccountRseLimitRecord[]> {
  const rows: (Omit<AccountRseLimitRecord, 'bytes'> & { bytes: string })[] = await manager.query(
    `SELECT l.account, l.rse_id AS "rseId", r.rse, l.bytes
       FROM account_limits l JOIN rses r ON r.id = l.rse_id AND NOT r.deleted
      WHERE l.account = $1 AND ($2::uuid[] IS NULL OR l.rse_id = ANY($2::uuid[]))
      ORDER BY r.rse`,
    [account, rseIds ?? null],
  );
  return rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
}

export async function upsertAccountExpressionLimit(manager: EntityManager, account: string, rseExpression: string, bytes: number): Promise<void> {
  await manager.query(
    `INSERT INTO account_expression_limits (account, rse_expression, bytes) VALUES ($1, $2, $3)
     ON CONFLICT (account, rse_expression) DO UPDATE SET bytes = EXCLUDED.bytes, updated_at = now()`,
    [account, rseExpression, bytes],
  );
}

export async function deleteAccountExpressionLimit(manager: EntityManager, account: string, rseExpression: string): Promise<boolean> {
  return deletedAny(manager, `DELETE FROM account_expression_limits WHERE account = $1 AND rse_expression = $2 RETURNING 1`, [
    account,
    rseExpression,
  ]);
}

export async function listAccountExpressionLimits(manager: EntityManager, account: string): Promise<AccountExpressionLimitRecord[]> {
  const rows: (Omit<AccountExpressionLimitRecord, 'bytes'> & { bytes: string })[] = await manager.query(
    `SELECT account, rse_expression AS "rseExpression", bytes
       FROM account_expression_limits WHERE account = $1 ORDER BY rse_expression`,
    [account],
  );
  return rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
}
