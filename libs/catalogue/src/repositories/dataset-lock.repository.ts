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

export const datasetLockRepository = {
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
