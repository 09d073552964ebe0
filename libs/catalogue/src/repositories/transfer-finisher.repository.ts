import { EntityManager } from 'typeorm';
import type { LockReason } from '@tarn/domain';
import { lockReplicaRows, plainArray, PROBE_RSE, textArray } from './replica.repository.js';

/** A transfer request whose attempt is over (DONE, FAILED or NO_SOURCES), locked by the finisher. */
export interface FinishedRequest {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  sourceRseId: string | null;
  ruleId: string | null;
  state: 'D' | 'F' | '0';
  bytes: number;
  adler32: string | null;
  md5: string | null;
  destUrl: string | null;
  error: string | null;
  /** Attempts before this one. */
  retryCount: number;
  /** Names of the RSEs (for metrics labels); null when the source is unknown or the RSE row is gone. */
  sourceRse: string | null;
  destRse: string | null;
  /** From submission to the end of the copy (or the last update), when it was submitted. */
  durationSeconds: number | null;
}

/** A request cancelled because no lock needs its copy any more. */
export interface CancelledRequest {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  /** Its state before: SUBMITTED or DONE ones may have written (part of) a file at the destination. */
  state: string;
  destUrl: string | null;
}

// Columns of requests copied into requests_history (both tables share them; their enum types differ).
const COLUMNS = `request_type, scope, name, did_type, dest_rse_id, source_rse_id, external_id, external_host, retry_count,
  previous_attempt_id, rule_id, activity, account, bytes, adler32, md5, dest_url, priority, transfertool, copy_method, copy_method_reason, attributes,
  submitted_at, started_at, transferred_at, retry_after, requested_at, created_at`;
const ENUM_COLUMNS: Record<string, string> = {
  request_type: 'm.request_type::text::requests_history_request_type_enum',
  did_type: 'm.did_type::text::requests_history_did_type_enum',
};
const FROM_M = COLUMNS.split(',').map((c) => ENUM_COLUMNS[c.trim()] ?? `m.${c.trim()}`).join(', ');

type Row = {
  id: string; scope: string; name: string; dest_rse_id: string; source_rse_id: string | null; rule_id: string | null; state: 'D' | 'F' | '0';
  bytes: string | null; adler32: string | null; md5: string | null; dest_url: string | null; err_msg: string | null; retry_count: number;
  source_rse: string | null; dest_rse: string | null; duration: string | number | null;
};
const toFinished = (r: Row): FinishedRequest => ({
  id: r.id,
  scope: r.scope,
  name: r.name,
  destRseId: r.dest_rse_id,
  sourceRseId: r.source_rse_id,
  ruleId: r.rule_id,
  state: r.state,
  bytes: Number(r.bytes ?? 0),
  adler32: r.adler32,
  md5: r.md5,
  destUrl: r.dest_url,
  error: r.err_msg,
  retryCount: Number(r.retry_count),
  sourceRse: r.source_rse,
  destRse: r.dest_rse,
  durationSeconds: r.duration === null ? null : Math.max(0, Number(r.duration)),
});

/** SQL of the transfer finisher. */
export const transferFinisherRepository = {
  /** Up to `limit` requests in these states, locked FOR UPDATE SKIP LOCKED (finishers share them), oldest first. */
  async claim(manager: EntityManager, states: ReadonlyArray<'D' | 'F' | '0'>, limit: number): Promise<FinishedRequest[]> {
    const rows = await manager.query(
      `SELECT id, scope, name, dest_rse_id, source_rse_id, rule_id, state, bytes, adler32, md5, dest_url, err_msg, retry_count,
              (SELECT rse FROM rses WHERE id = source_rse_id) AS source_rse, (SELECT rse FROM rses WHERE id = dest_rse_id) AS dest_rse,
              extract(epoch FROM coalesce(transferred_at, updated_at) - submitted_at) AS duration
         FROM requests WHERE state = ANY($1::requests_state_enum[]) AND request_type = 'T'
        ORDER BY updated_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [states, limit],
    );
    return (rows as Row[]).map(toFinished);
  },

  /**
   * Requests of a rule that no lock needs any more (the rule or the lock was deleted; requests of no rule, e.g.
   * re-copies of bad replicas, are left alone), not yet QUEUED ones (the rules cancel those themselves):
   * moved to requests_history as FAILED with `reason`. Returns them.
   */
  async cancelUnneeded(manager: EntityManager, reason: string, limit: number): Promise<CancelledRequest[]> {
    const rows = await manager.query(
      `WITH doomed AS (
         SELECT q.id FROM requests q
          WHERE q.request_type = 'T' AND q.rule_id IS NOT NULL AND q.state IN ('S', 'D', 'F', '0', 'W', 'G', 'L')
            AND NOT EXISTS (SELECT 1 FROM locks l WHERE l.scope = q.scope AND l.name = q.name AND l.rse_id = q.dest_rse_id)
          ORDER BY q.id LIMIT $2 FOR UPDATE SKIP LOCKED
       ), moved AS (
         DELETE FROM requests q USING doomed WHERE q.id = doomed.id RETURNING q.*
       ), sources AS (
         DELETE FROM request_sources s USING moved m WHERE s.request_id = m.id
       ), archived AS (
         INSERT INTO requests_history (${COLUMNS}, id, state, err_msg, updated_at)
         SELECT ${FROM_M}, m.id, 'F', $1, now() FROM moved m
       )
       SELECT id, scope, name, dest_rse_id, state, dest_url FROM moved`,
      [reason, limit],
    );
    return rows.map((r: { id: string; scope: string; name: string; dest_rse_id: string; state: string; dest_url: string | null }) => ({
      id: r.id,
      scope: r.scope,
      name: r.name,
      destRseId: r.dest_rse_id,
      state: r.state,
      destUrl: r.dest_url,
    }));
  },

  /**
   * Before the replicas become AVAILABLE: their checksums (the file's, else those computed during the copy)
   * and, on non-deterministic RSEs, the path written. Returns the keys of the replicas that exist and are not
   * being deleted (the others get nothing).
   */
  async completeReplicas(
    manager: EntityManager,
    rows: ReadonlyArray<{ scope: string; name: string; rseId: string; adler32: string | null; md5: string | null; path: string | null }>,
  ): Promise<Array<{ scope: string; name: string; rseId: string }>> {
    if (rows.length === 0) return [];
    // Rows locked first, then probed key by key and written by tuple id (see lockReplicaRows), never joined
    // against every replica of the RSE.
    await lockReplicaRows(manager, rows);
    const [updated] = await manager.query(
      `WITH target AS (
         SELECT r.tid, u.adler32, u.md5, u.path
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::varchar[]) AS u(scope, name, rse_id, adler32, md5, path)
           CROSS JOIN LATERAL (SELECT r.ctid AS tid FROM replicas r
                                WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} AND r.state <> 'B' LIMIT 1) r
       )
       UPDATE replicas r
          SET adler32 = coalesce(r.adler32, t.adler32), md5 = coalesce(r.md5, t.md5),
              path = CASE WHEN s.deterministic THEN r.path ELSE coalesce(r.path, t.path) END, updated_at = now()
         FROM target t, rses s
        WHERE r.ctid = t.tid AND s.id = r.rse_id
       RETURNING r.scope, r.name, r.rse_id`,
      [
        textArray(rows.map((r) => r.scope)),
        textArray(rows.map((r) => r.name)),
        plainArray(rows.map((r) => r.rseId)),
        textArray(rows.map((r) => r.adler32)),
        textArray(rows.map((r) => r.md5)),
        textArray(rows.map((r) => r.path)),
      ],
    );
    return updated.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
  },

  /** Moves these requests to requests_history in `state` (their err_msg kept unless `error` is given). */
  async archive(manager: EntityManager, ids: readonly string[], state: 'D' | 'F', error: string | null = null): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `WITH moved AS (DELETE FROM requests q WHERE q.id = ANY($1::uuid[]) RETURNING q.*),
            sources AS (DELETE FROM request_sources s USING moved m WHERE s.request_id = m.id)
       INSERT INTO requests_history (${COLUMNS}, id, state, err_msg, updated_at)
       SELECT ${FROM_M}, m.id, $2, coalesce($3, m.err_msg), now() FROM moved m`,
      [plainArray(ids), state, error],
    );
  },

  /**
   * Failed attempts to be tried again: each attempt is kept in requests_history (a row of its own, FAILED with
   * its error and source: the submitter ranks that source last for this file next time), and the request is
   * QUEUED again after its backoff, `retry_after` = now + min(max, base * 2^attempts) seconds.
   */
  async requeue(manager: EntityManager, ids: readonly string[], backoff: { baseSeconds: number; maxSeconds: number }): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `WITH attempts AS (
         SELECT q.id AS request_id, gen_random_uuid() AS attempt_id FROM requests q WHERE q.id = ANY($1::uuid[])
       ), kept AS (
         INSERT INTO requests_history (${COLUMNS}, id, state, err_msg, updated_at)
         SELECT ${FROM_M}, a.attempt_id, 'F', m.err_msg, now() FROM requests m JOIN attempts a ON a.request_id = m.id
       )
       UPDATE requests q
          SET state = 'Q', previous_attempt_id = a.attempt_id, retry_count = q.retry_count + 1,
              -- An attempt that found no source goes again at once when one became AVAILABLE meanwhile.
              retry_after = CASE WHEN q.state = '0' AND EXISTS (
                                   SELECT 1 FROM replicas r WHERE r.scope = q.scope AND r.name = q.name AND r.rse_id <> q.dest_rse_id AND r.state = 'A')
                                 THEN NULL
                                 ELSE now() + make_interval(secs => LEAST($3::float8, $2::float8 * power(2::float8, LEAST(q.retry_count, 60)))) END,
              source_rse_id = NULL, external_id = NULL, external_host = NULL, submitted_at = NULL, started_at = NULL,
              transferred_at = NULL, updated_at = now()
         FROM attempts a WHERE q.id = a.request_id`,
      [plainArray(ids), backoff.baseSeconds, backoff.maxSeconds],
    );
  },

  /** Of these requests that found no source, those whose file has an AVAILABLE replica on another RSE now. */
  async sourcedNow(manager: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await manager.query(
      `SELECT q.id FROM requests q
        WHERE q.id = ANY($1::uuid[]) AND q.state = '0'
          AND EXISTS (SELECT 1 FROM replicas r WHERE r.scope = q.scope AND r.name = q.name AND r.rse_id <> q.dest_rse_id AND r.state = 'A')`,
      [plainArray(ids)],
    );
    return new Set(rows.map((r: { id: string }) => r.id));
  },

  /**
   * The waiting (REPLICATING) locks on these replicas become STUCK with the transfer's error, in key order;
   * returns how many per rule. The rules get that error as their last one.
   */
  async stickLocks(
    manager: EntityManager,
    rows: ReadonlyArray<{ scope: string; name: string; rseId: string; error: string; reason: LockReason }>,
  ): Promise<Array<{ ruleId: string; stuck: number }>> {
    if (rows.length === 0) return [];
    const result = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::varchar[])
                  AS u(scope, name, rse_id, error, code, reason)),
            target AS (
              SELECT l.scope, l.name, l.rule_id, l.rse_id, u.error, u.code, u.reason FROM u JOIN locks l ON l.scope = u.scope AND l.name = u.name AND ${PROBE_RSE('l', 'u')}
               WHERE l.state = 'R' ORDER BY l.scope, l.name, l.rule_id, l.rse_id FOR UPDATE OF l
            ),
            changed AS (
              UPDATE locks l SET state = 'S', error = t.error, reason_code = t.code, reason = t.reason, updated_at = now()
                FROM target t WHERE l.scope = t.scope AND l.name = t.name AND l.rule_id = t.rule_id AND l.rse_id = t.rse_id
            )
       SELECT rule_id, count(*)::int AS stuck, (array_agg(error ORDER BY scope, name))[1] AS error FROM target GROUP BY rule_id ORDER BY rule_id`,
      [
        textArray(rows.map((r) => r.scope)),
        textArray(rows.map((r) => r.name)),
        plainArray(rows.map((r) => r.rseId)),
        textArray(rows.map((r) => r.error.slice(0, 4000))),
        textArray(rows.map((r) => r.reason.code)),
        textArray(rows.map((r) => r.reason.text.slice(0, 4000))),
      ],
    );
    const perRule = result.map((r: { rule_id: string; stuck: number; error: string }) => ({ ruleId: r.rule_id, stuck: r.stuck, error: r.error }));
    if (perRule.length > 0) {
      await manager.query(
        `UPDATE rules r SET error = u.error, updated_at = now() FROM unnest($1::uuid[], $2::varchar[]) AS u(id, error) WHERE r.id = u.id`,
        [plainArray(perRule.map((r: { ruleId: string }) => r.ruleId)), textArray(perRule.map((r: { error: string }) => r.error))],
      );
    }
    return perRule.map((r: { ruleId: string; stuck: number }) => ({ ruleId: r.ruleId, stuck: r.stuck }));
  },

  /** Replicas among these keys that exist, with their RSE's paths info (to remove a file nobody needs). */
  async replicaPaths(
    manager: EntityManager,
    keys: ReadonlyArray<{ scope: string; name: string; rseId: string }>,
  ): Promise<Map<string, { state: string; path: string | null }>> {
    if (keys.length === 0) return new Map();
    const rows = await manager.query(
      `SELECT r.scope, r.name, r.rse_id, r.state, r.path FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
         JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id`,
      [textArray(keys.map((k) => k.scope)), textArray(keys.map((k) => k.name)), plainArray(keys.map((k) => k.rseId))],
    );
    return new Map(
      rows.map((r: { scope: string; name: string; rse_id: string; state: string; path: string | null }) => [`${r.scope}:${r.name}@${r.rse_id}`, { state: r.state, path: r.path }]),
    );
  },
};
