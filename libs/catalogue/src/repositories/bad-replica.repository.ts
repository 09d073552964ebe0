import { EntityManager } from 'typeorm';
import { BadReplicaState } from '@tarn/domain';

export interface NewBadReplica {
  scope: string;
  name: string;
  rseId: string;
  bytes: number | null;
}

export interface BadReplicaRecord extends NewBadReplica {
  state: BadReplicaState;
  reason: string | null;
  account: string;
  createdAt: Date;
}

export const badReplicaRepository = {
  /** One declaration row per replica, all in `state` (BAD by default), in one statement. */
  async insert(
    manager: EntityManager,
    rows: readonly NewBadReplica[],
    declaration: { account: string; reason: string | null; state?: BadReplicaState },
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes)
       SELECT u.scope, u.name, u.rse_id, $1, $2, $3, u.bytes
         FROM unnest($4::varchar[], $5::varchar[], $6::uuid[], $7::bigint[]) AS u(scope, name, rse_id, bytes)
       ON CONFLICT DO NOTHING`,
      [
        declaration.state ?? BadReplicaState.BAD,
        declaration.reason,
        declaration.account,
        rows.map((r) => r.scope),
        rows.map((r) => r.name),
        rows.map((r) => r.rseId),
        rows.map((r) => r.bytes),
      ],
    );
  },

  async ofReplica(manager: EntityManager, scope: string, name: string, rseId: string): Promise<BadReplicaRecord[]> {
    const rows = await manager.query(
      `SELECT scope, name, rse_id, bytes, state, reason, account, created_at FROM bad_replicas
        WHERE scope = $1 AND name = $2 AND rse_id = $3 ORDER BY created_at`,
      [scope, name, rseId],
    );
    return rows.map(
      (r: { scope: string; name: string; rse_id: string; bytes: string | null; state: BadReplicaState; reason: string | null; account: string; created_at: Date }) => ({
        scope: r.scope,
        name: r.name,
        rseId: r.rse_id,
        bytes: r.bytes === null ? null : Number(r.bytes),
        state: r.state,
        reason: r.reason,
        account: r.account,
        createdAt: r.created_at,
      }),
    );
  },
};
