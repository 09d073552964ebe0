import { EntityManager } from 'typeorm';
import type { LockReason, LockState } from '@tarn/domain';
import { plainArray, textArray } from './replica.repository.js';

export interface NewLock {
  scope: string;
  name: string;
  rseId: string;
  bytes: number;
  state: LockState;
  /** Why it is not OK (null for OK locks, and for those refreshLockReasons describes after the insert). */
  reason: LockReason | null;
}

export interface LockRecord {
  scope: string;
  name: string;
  ruleId: string;
  rseId: string;
  rse: string | null;
  account: string;
  bytes: number;
  state: LockState;
  repairCnt: number;
  error: string | null;
  /** How the lock's file was last copied to its RSE (third-party or streamed), when it was copied by a transfer. */
  copyMethod: string | null;
  /** Why that way, through which protocols. */
  copyMethodReason: string | null;
  reasonCode: string | null;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Files and bytes to add to (or, negative, take from) an account's usage on one RSE. */
export interface UsageDelta {
  rseId: string;
  files: number;
  bytes: number;
}

/** Locks of one rule that a change moved out of REPLICATING or STUCK into OK. */
export interface SatisfiedLocks {
  ruleId: string;
  fromReplicating: number;
  fromStuck: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export function toLockRecord(r: any): LockRecord {
  return {
    scope: r.scope,
    name: r.name,
    ruleId: r.rule_id,
    rseId: r.rse_id,
    rse: r.rse,
    account: r.account,
    bytes: Number(r.bytes),
    state: r.state,
    repairCnt: Number(r.repair_cnt),
    error: r.error,
    copyMethod: r.copy_method ?? null,
    copyMethodReason: r.copy_method_reason ?? null,
    reasonCode: r.reason_code,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * A FROM item (`files` and `l`): the locks in `states` (SQL text literals) of the replicas in `keys` (a table, CTE or
 * parenthesized query with scope, name, rse_id), locked FOR UPDATE in primary-key order, with their tuple ids
 * (`tid`). Each file's locks are probed down the primary key, one file after the other in key order, rather than
 * joined against every lock in those states as the planner did when the table was young (state as text keeps it
 * off locks_rule_state_idx).
 */
export const LOCKED_LOCKS_OF = (keys: string, states: string): string => `(
           SELECT f.scope, f.name, array_agg(f.rse_id) AS rse_ids FROM ${keys} f GROUP BY f.scope, f.name ORDER BY f.scope, f.name
         ) files CROSS JOIN LATERAL (
           SELECT l.ctid AS tid, l.* FROM locks l
            WHERE l.scope = files.scope AND l.name = files.name AND l.rse_id = ANY(files.rse_ids) AND l.state::text IN (${states})
            ORDER BY l.rule_id, l.rse_id FOR UPDATE
         ) l`;

export const lockRepository = {
  /** One statement for all locks of a rule. */
  async insert(manager: EntityManager, ruleId: string, account: string, locks: readonly NewLock[]): Promise<void> {
    if (locks.length === 0) return;
    await manager.query(
      `INSERT INTO locks (scope, name, rule_id, rse_id, account, bytes, state, reason_code, reason)
       SELECT u.scope, u.name, $1, u.rse_id, $2, u.bytes, u.state, u.reason_code, u.reason
         FROM unnest($3::varchar[], $4::varchar[], $5::uuid[], $6::bigint[], $7::locks_state_enum[], $8::varchar[], $9::varchar[])
              AS u(scope, name, rse_id, bytes, state, reason_code, reason)`,
      [
        ruleId,
        account,
        textArray(locks.map((l) => l.scope)),
        textArray(locks.map((l) => l.name)),
        plainArray(locks.map((l) => l.rseId)),
        plainArray(locks.map((l) => l.bytes)),
        textArray(locks.map((l) => l.state)),
        textArray(locks.map((l) => l.reason?.code ?? null)),
        textArray(locks.map((l) => l.reason?.text.slice(0, 4000) ?? null)),
      ],
    );
  },

  /** Files and bytes the rule's locks hold per RSE. */
  async usageOfRule(manager: EntityManager, ruleId: string): Promise<UsageDelta[]> {
    const rows = await manager.query(
      `SELECT rse_id, count(*) AS files, coalesce(sum(bytes), 0) AS bytes FROM locks WHERE rule_id = $1 GROUP BY rse_id ORDER BY rse_id`,
      [ruleId],
    );
    return rows.map((r: { rse_id: string; files: string; bytes: string }) => ({
      rseId: r.rse_id,
      files: Number(r.files),
      bytes: Number(r.bytes),
    }));
  },

  async deleteOfRule(manager: EntityManager, ruleId: string): Promise<number> {
    const [, count] = await manager.query(`DELETE FROM locks WHERE rule_id = $1`, [ruleId]);
    return count;
  },

  /** The rule's REPLICATING locks become STUCK with `reason` (also their last error); returns how many. */
  async markReplicatingStuck(manager: EntityManager, ruleId: string, reason: LockReason): Promise<number> {
    const [, count] = await manager.query(
      `UPDATE locks SET state = 'S', error = $2, reason_code = $3, reason = $2, updated_at = now() WHERE rule_id = $1 AND state = 'R'`,
      [ruleId, reason.text.slice(0, 4000), reason.code],
    );
    return count;
  },

  async countByState(manager: EntityManager, ruleId: string): Promise<{ ok: number; replicating: number; stuck: number }> {
    const rows = await manager.query(
      `SELECT count(*) FILTER (WHERE state = 'O') AS ok, count(*) FILTER (WHERE state = 'R') AS replicating,
              count(*) FILTER (WHERE state = 'S') AS stuck
         FROM locks WHERE rule_id = $1`,
      [ruleId],
    );
    return { ok: Number(rows[0].ok), replicating: Number(rows[0].replicating), stuck: Number(rows[0].stuck) };
  },

  /**
   * SQL and parameters listing a rule's locks with their RSE's name and how their file was copied there (the
   * live transfer request's last attempt, else the latest one in the history), for a cursor (map rows with
   * toLockRecord); `notOk`: only those not OK, STUCK first, at most `limit`.
   */
  listQuery(ruleId: string, options: { notOk?: boolean; limit?: number } = {}): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT l.scope, l.name, l.rule_id, l.rse_id, s.rse, l.account, l.bytes, l.state, l.repair_cnt, l.error,
                   l.reason_code, l.reason, c.copy_method, c.copy_method_reason, l.created_at, l.updated_at
              FROM locks l LEFT JOIN rses s ON s.id = l.rse_id
              LEFT JOIN LATERAL (
                SELECT x.copy_method, x.copy_method_reason FROM (
                  SELECT q.copy_method, q.copy_method_reason, q.updated_at FROM requests q
                   WHERE q.scope = l.scope AND q.name = l.name AND q.dest_rse_id = l.rse_id AND q.copy_method IS NOT NULL
                  UNION ALL
                  SELECT h.copy_method, h.copy_method_reason, h.updated_at FROM requests_history h
                   WHERE h.scope = l.scope AND h.name = l.name AND h.dest_rse_id = l.rse_id AND h.copy_method IS NOT NULL
                ) x ORDER BY x.updated_at DESC LIMIT 1) c ON true
             WHERE l.rule_id = $1 ${options.notOk ? `AND l.state <> 'O'` : ''}
             ORDER BY ${options.notOk ? 'l.state DESC, ' : ''}l.scope, l.name, l.rse_id ${options.limit ? `LIMIT ${Math.floor(options.limit)}` : ''}`,
      params: [ruleId],
    };
  },

  /**
   * Turns every REPLICATING or STUCK lock on these replicas OK (their replica became AVAILABLE) and says, per
   * rule, how many moved from which state. The locks are taken in primary-key order.
   */
  async satisfy(manager: EntityManager, replicas: ReadonlyArray<{ scope: string; name: string; rseId: string }>): Promise<SatisfiedLocks[]> {
    if (replicas.length === 0) return [];
    const keys = `(SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id))`;
    const params = [textArray(replicas.map((r) => r.scope)), textArray(replicas.map((r) => r.name)), plainArray(replicas.map((r) => r.rseId))];
    // Locked first, in a statement of its own: the next statement's snapshot then shows the latest version of every
    // row it finds, so it can write them by tuple id (the planner turned a write by key into a scan of the table).
    await manager.query(`SELECT count(*) FROM ${LOCKED_LOCKS_OF(keys, `'R', 'S'`)}`, params);
    const rows = await manager.query(
      `WITH target AS (
         SELECT l.tid, l.rule_id, l.state FROM ${LOCKED_LOCKS_OF(keys, `'R', 'S'`)}
       ), changed AS (
         UPDATE locks l SET state = 'O', error = NULL, reason_code = NULL, reason = NULL, updated_at = now()
           FROM target t WHERE l.ctid = ANY(ARRAY(SELECT tid FROM target)) AND l.ctid = t.tid
       )
       SELECT rule_id, count(*) FILTER (WHERE state = 'R') AS from_replicating, count(*) FILTER (WHERE state = 'S') AS from_stuck
         FROM target GROUP BY rule_id ORDER BY rule_id`,
      params,
    );
    return rows.map((r: { rule_id: string; from_replicating: string; from_stuck: string }) => ({
      ruleId: r.rule_id,
      fromReplicating: Number(r.from_replicating),
      fromStuck: Number(r.from_stuck),
    }));
  },

  async setAccountOfRule(manager: EntityManager, ruleId: string, account: string): Promise<void> {
    await manager.query(`UPDATE locks SET account = $2, updated_at = now() WHERE rule_id = $1`, [ruleId, account]);
  },

  /** Adds to an account's usage per RSE (negative deltas subtract), RSEs in id order. */
  async addAccountUsage(manager: EntityManager, account: string, deltas: readonly UsageDelta[]): Promise<void> {
    const rows = deltas.filter((d) => d.files !== 0 || d.bytes !== 0).sort((a, b) => (a.rseId < b.rseId ? -1 : 1));
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO account_usage AS a (account, rse_id, files, bytes)
       SELECT $1, u.rse_id, u.files, u.bytes FROM unnest($2::uuid[], $3::bigint[], $4::bigint[]) AS u(rse_id, files, bytes)
       ON CONFLICT (account, rse_id) DO UPDATE
          SET files = a.files + EXCLUDED.files, bytes = a.bytes + EXCLUDED.bytes, updated_at = now()`,
      [account, rows.map((d) => d.rseId), rows.map((d) => d.files), rows.map((d) => d.bytes)],
    );
  },
};
