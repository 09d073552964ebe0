import { EntityManager } from 'typeorm';
import type { LockReason, LockWaitFacts, ReplicaState, RequestState } from '@tarn/domain';
import { keyArrays, PROBE_RSE, type ReplicaKey, textArray } from './replica.repository.js';
import { LOCKED_LOCKS_OF } from './lock.repository.js';

/** The facts of the REPLICATING locks on one replica (file and RSE): what its transfer, replica and check say. */
export type ReplicaWaitFacts = ReplicaKey & LockWaitFacts;

/** A reason to write on every REPLICATING lock of one replica (file and RSE). */
export type ReplicaLockReason = ReplicaKey & LockReason;

/** A rule's locks that are not OK, grouped by state and reason. */
export interface LockReasonGroup {
  state: string;
  code: string | null;
  locks: number;
  bytes: number;
  /** The RSEs of these locks (at most 10, by name). */
  rses: string[];
  /** One of the reasons, with its file. */
  example: { scope: string; name: string; rse: string | null; reason: string | null };
}

type FactsRow = {
  scope: string; name: string; rse_id: string; replica_state: ReplicaState | null; replica_error: string | null;
  request_state: RequestState | null; retry_count: number | null; err_msg: string | null; retry_after: Date | null; source_rse: string | null;
  submitted_at: Date | null; attempts: number | null; last_error: string | null; not_before: Date | null; written: boolean | null; announced_at: Date | null;
};

/** SQL of lock reasons: the facts they are made of, their writing (one statement per batch) and a rule's summary of them. */
export const lockReasonRepository = {
  /**
   * For the replicas among `keys` that REPLICATING locks wait for: the replica's state, its transfer and its pending
   * check, each reached by a primary-key probe. The locks too are probed key by key (a lateral join): as a semi-join,
   * the planner hashes every REPLICATING lock, which grows with the catalogue, or, told to probe, does worse when it is small.
   */
  async waitFacts(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<ReplicaWaitFacts[]> {
    if (keys.length === 0) return [];
    const rows: FactsRow[] = await manager.query(
      `SELECT u.scope, u.name, u.rse_id, r.state AS replica_state, r.error AS replica_error,
              q.state AS request_state, q.retry_count, q.err_msg, q.retry_after, q.source_rse, q.submitted_at,
              v.attempts, v.last_error, v.not_before, v.written, v.created_at AS announced_at
         FROM (SELECT DISTINCT u.* FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
                 CROSS JOIN LATERAL (SELECT 1 FROM locks l
                                      WHERE l.scope = u.scope AND l.name = u.name AND l.rse_id = u.rse_id AND l.state = 'R' LIMIT 1) l) u
         LEFT JOIN LATERAL (SELECT r.state, r.error FROM replicas r
                             WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} LIMIT 1) r ON true
         LEFT JOIN LATERAL (SELECT q.state, q.retry_count, q.err_msg, q.retry_after, q.submitted_at,
                                   (SELECT s.rse FROM rses s WHERE s.id = q.source_rse_id) AS source_rse
                              FROM requests q
                             WHERE q.scope = u.scope AND q.name = u.name AND q.dest_rse_id = u.rse_id AND q.request_type = 'T' LIMIT 1) q ON true
         LEFT JOIN LATERAL (SELECT v.attempts, v.last_error, v.not_before, v.written, v.created_at FROM replica_verifications v
                             WHERE v.scope = u.scope AND v.name = u.name AND v.rse_id = u.rse_id LIMIT 1) v ON true`,
      keyArrays(keys),
    );
    return rows.map((r) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      replicaState: r.replica_state,
      replicaError: r.replica_error,
      request:
        r.request_state === null
          ? null
          : {
              state: r.request_state,
              retryCount: Number(r.retry_count ?? 0),
              errMsg: r.err_msg,
              retryAfter: r.retry_after,
              sourceRse: r.source_rse,
              submittedAt: r.submitted_at,
            },
      verification:
        r.not_before === null
          ? null
          : { attempts: Number(r.attempts ?? 0), lastError: r.last_error, notBefore: r.not_before, written: r.written !== false, announcedAt: r.announced_at ?? r.not_before },
    }));
  },

  /**
   * Writes each reason on the REPLICATING locks of its replica (of every rule), in one statement; rows already
   * saying so are left alone. The locks are taken in primary-key order.
   */
  async writeReplicating(manager: EntityManager, reasons: readonly ReplicaLockReason[]): Promise<number> {
    if (reasons.length === 0) return 0;
    const [, count] = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[]) AS u(scope, name, rse_id, code, reason)),
            locked AS (SELECT l.tid, l.scope, l.name, l.rse_id, l.reason_code, l.reason FROM ${LOCKED_LOCKS_OF('u', `'R'`)}),
            target AS (
              SELECT l.tid, u.code, u.reason
                FROM locked l JOIN u ON u.scope = l.scope AND u.name = l.name AND u.rse_id = l.rse_id
               WHERE l.reason_code IS DISTINCT FROM u.code OR l.reason IS DISTINCT FROM u.reason
            )
       -- The rows locked above, by tuple id (a TID scan): joined again by key, the planner probed all of a rule's
       -- locks once per lock when its statistics said the table was small.
       UPDATE locks l SET reason_code = t.code, reason = t.reason
         FROM target t WHERE l.ctid = ANY(ARRAY(SELECT tid FROM target)) AND l.ctid = t.tid`,
      [...keyArrays(reasons), textArray(reasons.map((r) => r.code)), textArray(reasons.map((r) => r.text.slice(0, 4000)))],
    );
    return count;
  },

  /** The rule's locks that are not OK, by state and reason, largest groups first (a GROUP BY over its locks). */
  async summary(manager: EntityManager, ruleId: string): Promise<LockReasonGroup[]> {
    const rows = await manager.query(
      `SELECT g.state, g.code, g.locks, g.bytes, e.scope, e.name, e.reason,
              (SELECT s.rse FROM rses s WHERE s.id = e.rse_id) AS rse,
              (SELECT array_agg(x.rse) FROM (SELECT s.rse FROM rses s WHERE s.id = ANY(g.rse_ids) ORDER BY s.rse LIMIT 10) x) AS rses
         FROM (SELECT l.state::text AS state, l.reason_code AS code, count(*)::bigint AS locks, coalesce(sum(l.bytes), 0)::bigint AS bytes,
                      array_agg(DISTINCT l.rse_id) AS rse_ids
                 FROM locks l WHERE l.rule_id = $1 AND l.state <> 'O' GROUP BY l.state, l.reason_code) g
         CROSS JOIN LATERAL (SELECT l.scope, l.name, l.rse_id, l.reason FROM locks l
                              WHERE l.rule_id = $1 AND l.state::text = g.state AND l.reason_code IS NOT DISTINCT FROM g.code LIMIT 1) e
        ORDER BY g.state DESC, g.locks DESC, g.code`,
      [ruleId],
    );
    return rows.map(
      (r: { state: string; code: string | null; locks: string; bytes: string; rses: string[] | null; scope: string; name: string; reason: string | null; rse: string | null }) => ({
        state: r.state,
        code: r.code,
        locks: Number(r.locks),
        bytes: Number(r.bytes),
        rses: r.rses ?? [],
        example: { scope: r.scope, name: r.name, rse: r.rse, reason: r.reason },
      }),
    );
  },

  /** A configs value as a number, or `fallback` when unset or not a number >= 0. */
  async configNumber(manager: EntityManager, section: string, opt: string, fallback: number): Promise<number> {
    const rows = await manager.query(`SELECT value FROM configs WHERE section = $1 AND opt = $2`, [section, opt]);
    const value = rows.length > 0 ? Number(rows[0].value) : NaN;
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  },
};
