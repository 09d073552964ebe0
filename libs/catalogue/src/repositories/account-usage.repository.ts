import { EntityManager } from 'typeorm';

export interface AccountUsageRecord {
  account: string;
  rseId: string;
  rse: string;
  files: number;
  bytes: number;
}

/** What the account's locks hold per live RSE, on all RSEs or on those of `rseIds`. */
export async function listAccountUsage(manager: EntityManager, account: string, rseIds?: string[]): Promise<AccountUsageRecord[]> {
  const rows: (Omit<AccountUsageRecord, 'files' | 'bytes'> & { files: string; bytes: string })[] = await manager.query(
    `SELECT u.account, u.rse_id AS "rseId", r.rse, u.files, u.bytes
       FROM account_usage u JOIN rses r ON r.id = u.rse_id AND NOT r.deleted
      WHERE u.account = $1 AND ($2::uuid[] IS NULL OR u.rse_id = ANY($2::uuid[]))
      ORDER BY r.rse`,
    [account, rseIds ?? null],
  );
  return rows.map((row) => ({ ...row, files: Number(row.files), bytes: Number(row.bytes) }));
}
