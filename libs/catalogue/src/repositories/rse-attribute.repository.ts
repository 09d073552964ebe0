import { EntityManager } from 'typeorm';
import { deletedAny } from './rse-sql.js';
import { RseAttributeValue } from '@tarn/domain';

/**
 * The attribute that is an RSE's QoS class: rules select `QOS=SAFE`, as Rucio's users write it. The rses.qos_class
 * column (Rucio's add_rse/update_rse qos_class, `tarn rse add --qos`) is the same value under another name: every
 * write of one writes the other, so `QOS=SAFE` and `qos_class=SAFE` select the same RSEs.
 */
export const QOS_ATTRIBUTE = 'QOS';

/** Sets (adds or replaces) one attribute. Values keep their JSON type: string, number or boolean. */
export async function upsertRseAttribute(manager: EntityManager, rseId: string, key: string, value: RseAttributeValue): Promise<void> {
  await manager.query(
    `INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (rse_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [rseId, key, JSON.stringify(value)],
  );
  if (key === QOS_ATTRIBUTE) await manager.query(`UPDATE rses SET qos_class = $2, updated_at = now() WHERE id = $1`, [rseId, String(value)]);
}

/** Sets an RSE's QoS class, column and QOS attribute alike (null removes both). */
export async function setRseQosClass(manager: EntityManager, rseId: string, qosClass: string | null): Promise<void> {
  if (qosClass === null) {
    await manager.query(`DELETE FROM rse_attributes WHERE rse_id = $1 AND key = $2`, [rseId, QOS_ATTRIBUTE]);
    await manager.query(`UPDATE rses SET qos_class = NULL, updated_at = now() WHERE id = $1`, [rseId]);
  } else {
    await upsertRseAttribute(manager, rseId, QOS_ATTRIBUTE, qosClass);
  }
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
  const existed = await deletedAny(manager, `DELETE FROM rse_attributes WHERE rse_id = $1 AND key = $2 RETURNING 1`, [rseId, key]);
  if (existed && key === QOS_ATTRIBUTE) await manager.query(`UPDATE rses SET qos_class = NULL, updated_at = now() WHERE id = $1`, [rseId]);
  return existed;
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
