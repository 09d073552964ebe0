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

/** The QoS policies of an RSE, by name. */
export async function listRseQosPolicies(manager: EntityManager, rseId: string): Promise<string[]> {
  const rows: Array<{ qos_policy: string }> = await manager.query(`SELECT qos_policy FROM rse_qos_policies WHERE rse_id = $1 ORDER BY qos_policy`, [rseId]);
  return rows.map((r) => r.qos_policy);
}

/** Adds a QoS policy to an RSE; false when it had it already. */
export async function insertRseQosPolicy(manager: EntityManager, rseId: string, policy: string): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO rse_qos_policies (rse_id, qos_policy) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
    [rseId, policy],
  );
  return rows.length > 0;
}

/** Removes a QoS policy from an RSE; false when it did not have it. */
export async function deleteRseQosPolicy(manager: EntityManager, rseId: string, policy: string): Promise<boolean> {
  const [, count] = await manager.query(`DELETE FROM rse_qos_policies WHERE rse_id = $1 AND qos_policy = $2`, [rseId, policy]);
  return count > 0;
}
