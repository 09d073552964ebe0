import { EntityManager } from 'typeorm';
import { UpdatedDidAction } from '../entities/did.entity.js';

export interface UpdatedDidRecord {
  id: number;
  scope: string;
  name: string;
  action: UpdatedDidAction;
  createdAt: Date;
}

/** The rule evaluator's work queue: collections whose content changed under existing rules. */
export const updatedDidRepository = {
  async enqueue(manager: EntityManager, dids: ReadonlyArray<{ scope: string; name: string }>, action: UpdatedDidAction): Promise<void> {
    if (dids.length === 0) return;
    await manager.query(
      `INSERT INTO updated_dids (scope, name, rule_evaluation_action)
       SELECT u.scope, u.name, $3 FROM unnest($1::varchar[], $2::varchar[]) AS u(scope, name)`,
      [dids.map((d) => d.scope), dids.map((d) => d.name), action],
    );
  },

  /** The oldest entries no other worker holds, locked until the caller's transaction ends. */
  async claim(manager: EntityManager, limit: number): Promise<UpdatedDidRecord[]> {
    const rows = await manager.query(
      `SELECT id, scope, name, rule_evaluation_action, created_at FROM updated_dids
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r: { id: string; scope: string; name: string; rule_evaluation_action: UpdatedDidAction; created_at: Date }) => ({
      id: Number(r.id),
      scope: r.scope,
      name: r.name,
      action: r.rule_evaluation_action,
      createdAt: r.created_at,
    }));
  },

  async remove(manager: EntityManager, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM updated_dids WHERE id = ANY($1::bigint[])`, [ids]);
  },
};
