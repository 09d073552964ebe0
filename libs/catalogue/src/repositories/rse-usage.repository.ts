import { EntityManager } from 'typeorm';

export interface RseUsageRecord {
  rseId: string;
  source: string;
  used: number;
  free: number | null;
  files: number;
  updatedAt: Date;
}

/** Sets the usage reported by one source; `files` left undefined keeps the count already stored (0 for a new row). */
export async function upsertRseUsage(
  manager: EntityManager,
  rseId: string,
  usage: { source: string; used: number; free: number | null; files?: number },
): Promise<void> {
  await manager.query(
    `INSERT INTO rse_usage (rse_id, source, used, free, files) VALUES ($1, $2, $3, $4, COALESCE($5::bigint, 0))
     ON CONFLICT (rse_id, source) DO UPDATE
       SET used = EXCLUDED.used, free = EXCLUDED.free, files = COALESCE($5::bigint, rse_usage.files), updated_at = now()`,
    [rseId, usage.source, usage.used, usage.free, usage.files ?? null],
  );
}

/** The usage of an RSE by source (of every RSE when `rseId` is null), by RSE and source. */
export async function listRseUsage(manager: EntityManager, rseId: string | null, source?: string): Promise<RseUsageRecord[]> {
  const rows: (Omit<RseUsageRecord, 'used' | 'free' | 'files'> & { used: string; free: string | null; files: string })[] =
    await manager.query(
      `SELECT rse_id AS "rseId", source, used, free, files, updated_at AS "updatedAt"
         FROM rse_usage WHERE ($1::uuid IS NULL OR rse_id = $1) AND ($2::varchar IS NULL OR source = $2) ORDER BY rse_id, source`,
      [rseId, source ?? null],
    );
  return rows.map((row) => ({
    ...row,
    used: Number(row.used),
    free: row.free === null ? null : Number(row.free),
    files: Number(row.files),
  }));
}
