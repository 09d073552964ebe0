import { EntityManager } from 'typeorm';
import { deletedAny } from './rse-sql.js';
import { RseAttributeValue } from '@tarn/domain';

/** Sets (adds or replaces) one attribute. Values keep their JSON type: string, number or boolean. */
export async function upsertRseAttribute(manager: EntityManager, rseId: string, key: string, value: RseAttributeValue): Promise<void> {
  await manager.query(
    `INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (rse_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [rseId, key, JSON.stringify(value)],
  );
}

export async function listRseAttributes(manager: EntityManager, rseId: string): Promise<Record<string, RseAttributeValue>> {
  const rows: { key: string; value: RseAttributeValue }[] = await manager.query(
    `SELECT key, value FROM rse_attributes WHERE rse_id = $1 ORDER BY key`,
    [rseId],
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

/** True when the attribute existed. */
export async function deleteRseAttribute(manager: EntityManager, rseId: string, key: string): Promise<boolean> {
  return deletedAny(manager, `DELETE FROM rse_attributes WHERE rse_id = $1 AND key = $2 RETURNING 1`, [rseId, key]);
}
