import { EntityManager } from 'typeorm';
import { deletedAny } from './rse-sql.js';

export async function upsertRseLimit(manager: EntityManager, rseId: string, name: string, value: number): Promise<void> {
  await manager.query(
    `INSERT INTO rse_limits (rse_id, name, value) VALUES ($1, $2, $3)
     ON CONFLICT (rse_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [rseId, name, value],
  );
}

export async function listRseLimits(manager: EntityManager, rseId: string): Promise<Record<string, number>> {
  const rows: { name: string; value: string }[] = await manager.query(
    `SELECT name, value FROM rse_limits WHERE rse_id = $1 ORDER BY name`,
    [rseId],
  );
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.value)]));
}

/** True when the limit existed. */
export async function deleteRseLimit(manager: EntityManager, rseId: string, name: string): Promise<boolean> {
  return deletedAny(manager, `DELETE FROM rse_limits WHERE rse_id = $1 AND name = $2 RETURNING 1`, [rseId, name]);
}
