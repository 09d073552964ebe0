import { EntityManager } from 'typeorm';
import { LockState } from '@tarn/domain';

export interface NewDatasetLock {
  scope: string;
  name: string;
  rseId: string;
  state: LockState;
  length: number;
  bytes: number;
}

export interface DatasetLockRecord extends NewDatasetLock {
  ruleId: string;
  account: string;
}

/** A dataset lock as Rucio's lock routes answer it: with its RSE's name and last access. */
export interface DatasetLockView extends DatasetLockRecord {
  rse: string;
  accessedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const VIEW_COLUMNS = `l.scope, l.name, l.rule_id, l.rse_id, s.rse, l.account, l.state, l.length, l.bytes, l.accessed_at,
  l.created_at, l.updated_at`;

/* eslint-disable @typescript-eslint/no-explicit-any */
export function toDatasetLockView(r: any): DatasetLockView {
  return {
    scope: r.scope,
    name: r.name,
    ruleId: r.rule_id,
    rseId: r.rse_id,
    rse: r.rse,
    account: r.account,
    state: r.state,
    length: Number(r.length ?? 0),
    bytes: Number(r.bytes ?? 0),
    accessedAt: r.accessed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const datasetLockRepository = {
  /**
   * The dataset locks of these DIDs, skipping `excludeScopes`; with `belowContainers`, those of every dataset below
   * them too (Rucio's get_dataset_locks_bulk resolves containers to their datasets).
   */
  ofDidsQuery(
    dids: ReadonlyArray<{ scope: string; name: string }>,
    excludeScopes: readonly string[],
    belowContainers: boolean,
  ): { sql: string; params: unknown[] } {
    return {
      sql: `WITH RECURSIVE tree(scope, name) AS (
              SELECT u.scope, u.name FROM unnest($1::varchar[], $2::varchar[]) AS u(scope, name)
              UNION
              SELECT c.child_scope, c.child_name FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name
               WHERE c.child_type <> 'F' AND $4
            )
            SELECT ${VIEW_COLUMNS}
              FROM (SELECT DISTINCT scope, name FROM tree) t
              JOIN dataset_locks l ON l.scope = t.scope AND l.name = t.name
              JOIN rses s ON s.id = l.rse_id
             WHERE NOT (l.scope = ANY($3::varchar[]))
             ORDER BY l.scope, l.name, s.rse, l.rule_id`,
      params: [dids.map((d) => d.scope), dids.map((d) => d.name), excludeScopes, belowContainers],
    };
  },

  /** The dataset locks on an RSE, skipping `excludeScopes`. */
  onRseQuery(rseId: string, excludeScopes: readonly string[]): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT ${VIEW_COLUMNS} FROM dataset_locks l JOIN rses s ON s.id = l.rse_id
             WHERE l.rse_id = $1 AND NOT (l.scope = ANY($2::varchar[])) ORDER BY l.scope, l.name, l.rule_id`,
      params: [rseId, excludeScopes],
    };
  },

  async insert(manager: EntityManager, ruleId: string, account: string, locks: readonly NewDatasetLock[]): Promise<void> {
    if (locks.length === 0) return;
    await manager.query(
      `INSERT INTO dataset_locks (scope, name, rule_id, rse_id, account, state, length, bytes)
       SELECT u.scope, u.name, $1, u.rse_id, $2, u.state, u.length, u.bytes
         FROM unnest($3::varchar[], $4::varchar[], $5::uuid[], $6::dataset_locks_state_enum[], $7::bigint[], $8::bigint[])
              AS u(scope, name, rse_id, state, length, bytes)`,
      [
        ruleId,
        account,
        locks.map((l) => l.scope),
        locks.map((l) => l.name),
        locks.map((l) => l.rseId),
        locks.map((l) => l.state),
        locks.map((l) => l.length),
        locks.map((l) => l.bytes),
      ],
    );
  },

  async ofRule(manager: EntityManager, ruleId: string): Promise<DatasetLockRecord[]> {
    const rows = await manager.query(
      `SELECT scope, name, rule_id, rse_id, account, state, length, bytes FROM dataset_locks WHERE rule_id = $1
        ORDER BY scope, name, rse_id`,
      [ruleId],
    );
    return rows.map(
      (r: { scope: string; name: string; rule_id: string; rse_id: string; account: string; state: LockState; length: string | null; bytes: string | null }) => ({
        scope: r.scope,
        name: r.name,
        ruleId: r.rule_id,
        rseId: r.rse_id,
        account: r.account,
        state: r.state,
        length: Number(r.length ?? 0),
        bytes: Number(r.bytes ?? 0),
      }),
    );
  },

  async deleteOfRule(manager: EntityManager, ruleId: string): Promise<void> {
    await manager.query(`DELETE FROM dataset_locks WHERE rule_id = $1`, [ruleId]);
  },

  /** Sets every dataset lock of these rules to `state` (a rule that became OK or STUCK as a whole). */
  async setStateOfRules(manager: EntityManager, ruleIds: readonly string[], state: LockState): Promise<void> {
    if (ruleIds.length === 0) return;
    await manager.query(
      `UPDATE dataset_locks SET state = $2, updated_at = now() WHERE rule_id = ANY($1::uuid[]) AND state <> $2`,
      [ruleIds, state],
    );
  },

  async setAccountOfRule(manager: EntityManager, ruleId: string, account: string): Promise<void> {
    await manager.query(`UPDATE dataset_locks SET account = $2, updated_at = now() WHERE rule_id = $1`, [ruleId, account]);
  },
};
