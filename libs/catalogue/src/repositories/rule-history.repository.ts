import { EntityManager } from 'typeorm';
import { RuleState } from '@tarn/domain';

/** One row of a rule's history (rules_hist_recent, or rules_history for a DID's rules). */
export interface RuleHistoryRecord {
  ruleId: string;
  account: string;
  scope: string;
  name: string;
  state: RuleState;
  rseExpression: string;
  copies: number;
  expiresAt: Date | null;
  locked: boolean;
  error: string | null;
  locksOkCnt: number;
  locksReplicatingCnt: number;
  locksStuckCnt: number;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, account, scope, name, state, rse_expression, copies, expires_at, locked, error, locks_ok_cnt,
  locks_replicating_cnt, locks_stuck_cnt, created_at, updated_at`;

/* eslint-disable @typescript-eslint/no-explicit-any */
export function toRuleHistoryRecord(row: any): RuleHistoryRecord {
  return {
    ruleId: row.id,
    account: row.account,
    scope: row.scope,
    name: row.name,
    state: row.state,
    rseExpression: row.rse_expression,
    copies: Number(row.copies),
    expiresAt: row.expires_at,
    locked: row.locked,
    error: row.error,
    locksOkCnt: Number(row.locks_ok_cnt),
    locksReplicatingCnt: Number(row.locks_replicating_cnt),
    locksStuckCnt: Number(row.locks_stuck_cnt),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Reads of the history the catalogue's triggers keep (migration RuleAndContentHistoryTriggers). */
export const ruleHistoryRepository = {
  /** The scope of a rule that has history (it may be gone), or null. */
  async scopeOfRule(manager: EntityManager, ruleId: string): Promise<string | null> {
    const rows = await manager.query(`SELECT scope FROM rules_hist_recent WHERE id = $1 LIMIT 1`, [ruleId]);
    return rows.length === 0 ? null : rows[0].scope;
  },

  /** Every state and setting a rule went through, oldest first (for a cursor; map rows with toRuleHistoryRecord). */
  ofRuleQuery(ruleId: string): { sql: string; params: unknown[] } {
    return { sql: `SELECT ${COLUMNS} FROM rules_hist_recent WHERE id = $1 ORDER BY updated_at, history_id`, params: [ruleId] };
  },

  /** The creation and deletion of every rule a DID had, oldest first. */
  ofDidQuery(scope: string, name: string): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT ${COLUMNS} FROM rules_history WHERE scope = $1 AND name = $2 ORDER BY updated_at, history_id`,
      params: [scope, name],
    };
  },
};
