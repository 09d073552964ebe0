import { EntityManager } from 'typeorm';
import { RequestState } from '@tarn/domain';
import { OutboxColumns, plainArray, PROBE_RSE, textArray } from './replica.repository.js';

export interface NewTransfer {
  scope: string;
  name: string;
  destRseId: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
}

export interface TransferDefaults {
  ruleId: string;
  account: string;
  activity: string;
  priority: number;
  /** Stored as the request's attributes (e.g. the rule's source_replica_expression). */
  attributes: Record<string, unknown> | null;
}



/** Request states of transfers not yet handed to a transfer tool: these may be cancelled or found unnecessary. */
export const UNSUBMITTED_STATES: readonly RequestState[] = [
  RequestState.QUEUED,
  RequestState.WAITING,
  RequestState.NO_SOURCES,
  RequestState.SUBMISSION_FAILED,
];

const COLUMNS = `request_type, scope, name, did_type, dest_rse_id, source_rse_id, external_id, external_host, retry_count,
  previous_attempt_id, rule_id, activity, account, bytes, adler32, md5, dest_url, priority, transfertool, copy_method, copy_method_reason, attributes,
  submitted_at, started_at, transferred_at, retry_after, requested_at, id, created_at`;

// requests and requests_history have enum types of their own.
const ENUM_COLUMNS: Record<string, string> = {
  request_type: 'm.request_type::text::requests_history_request_type_enum',
  did_type: 'm.did_type::text::requests_history_did_type_enum',
};

/** Moves the requests `moved` (a data-modifying CTE RETURNING *) to requests_history in `state`, with `err_msg`. */
function archive(moved: string, state: string, errMsg: string): string {
  return `, sources AS (DELETE FROM request_sources s USING moved m WHERE s.request_id = m.id)
    INSERT INTO requests_history (${COLUMNS}, state, err_msg, updated_at)
    SELECT ${COLUMNS.split(',').map((c) => ENUM_COLUMNS[c.trim()] ?? `m.${c.trim()}`).join(', ')}, '${state}', ${errMsg}, now() FROM ${moved} m`;
}

/**
 * The tail of a statement whose CTE `source` returned (dest_rse_id, rule_id) of requests just queued: one
 * transfer.queued outbox row per rule and destination, keyed by the rule (the destination without one).
 * Selects the number of requests.
 */
export function queuedEvents(source: string, topic: string, eventType: string, version: string): string {
  return `, per_destination AS (
      SELECT rule_id, dest_rse_id, count(*)::int AS n FROM ${source} GROUP BY rule_id, dest_rse_id
    ), events AS (
      INSERT INTO outbox_messages (topic, key, event_type, version, payload)
      SELECT ${topic}, coalesce(p.rule_id::text, p.dest_rse_id::text), ${eventType}, ${version},
             jsonb_build_object('ruleId', p.rule_id, 'destRseId', p.dest_rse_id, 'count', p.n)
        FROM per_destination p
    )
    SELECT coalesce(sum(n), 0)::int AS n FROM per_destination`;
}

/** A request as Rucio's get_request_by_did answers it: its columns, with the names of its RSEs. */
export interface RequestRecord {
  id: string;
  requestType: string;
  scope: string;
  name: string;
  didType: string;
  destRseId: string;
  destRse: string;
  sourceRseId: string | null;
  sourceRse: string | null;
  attributes: Record<string, unknown> | null;
  state: string;
  externalId: string | null;
  externalHost: string | null;
  retryCount: number;
  errMsg: string | null;
  previousAttemptId: string | null;
  ruleId: string | null;
  activity: string;
  bytes: string | null;
  md5: string | null;
  adler32: string | null;
  destUrl: string | null;
  submittedAt: Date | null;
  startedAt: Date | null;
  transferredAt: Date | null;
  account: string | null;
  requestedAt: Date;
  priority: number;
  transfertool: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const requestRepository = {
  /** The active request of a file towards an RSE (by name), transfers first; null when there is none. */
  async findByDid(manager: EntityManager, scope: string, name: string, rse: string): Promise<RequestRecord | null> {
    const [row] = await manager.query(
      `SELECT q.id, q.request_type AS "requestType", q.scope, q.name, q.did_type AS "didType", q.dest_rse_id AS "destRseId", d.rse AS "destRse",
              q.source_rse_id AS "sourceRseId", s.rse AS "sourceRse", q.attributes, q.state, q.external_id AS "externalId",
              q.external_host AS "externalHost", q.retry_count AS "retryCount", q.err_msg AS "errMsg", q.previous_attempt_id AS "previousAttemptId",
              q.rule_id AS "ruleId", q.activity, q.bytes, f.md5, f.adler32, q.dest_url AS "destUrl", q.submitted_at AS "submittedAt",
              q.started_at AS "startedAt", q.transferred_at AS "transferredAt", q.account, q.requested_at AS "requestedAt", q.priority,
              q.transfertool, q.created_at AS "createdAt", q.updated_at AS "updatedAt"
         FROM requests q
         JOIN rses d ON d.id = q.dest_rse_id AND d.rse = $3 AND NOT d.deleted
         LEFT JOIN rses s ON s.id = q.source_rse_id
         LEFT JOIN dids f ON f.scope = q.scope AND f.name = q.name
        WHERE q.scope = $1 AND q.name = $2
        ORDER BY (q.request_type = 'T') DESC, q.created_at DESC LIMIT 1`,
      [scope, name, rse],
    );
    return row ?? null;
  },
  /**
   * Queues a transfer per row unless one to that destination already exists for the file (the unique index
   * on (scope, name, dest_rse_id, request_type)): that one is reused. With `outbox`, the same statement writes
   * one transfer.queued outbox row per destination RSE (payload {ruleId, destRseId, count}): the transfer
   * daemons read the requests themselves, so the events stay few however large the rule.
   * Returns the number of new requests.
   */
  async insertQueued(manager: EntityManager, rows: readonly NewTransfer[], defaults: TransferDefaults, outbox: OutboxColumns | null): Promise<number> {
    if (rows.length === 0) return 0;
    const insert = `INSERT INTO requests (request_type, scope, name, did_type, dest_rse_id, state, rule_id, activity, account, bytes,
                             adler32, md5, priority, attributes)
       SELECT 'T', u.scope, u.name, 'F', u.dest_rse_id, 'Q', $1, $2, $3, u.bytes, u.adler32, u.md5, $4, $5::jsonb
         FROM unnest($6::varchar[], $7::varchar[], $8::uuid[], $9::bigint[], $10::varchar[], $11::varchar[])
              AS u(scope, name, dest_rse_id, bytes, adler32, md5)
       ON CONFLICT (scope, name, dest_rse_id, request_type) DO NOTHING`;
    const params: unknown[] = [
      defaults.ruleId,
      defaults.activity,
      defaults.account,
      defaults.priority,
      defaults.attributes === null ? null : JSON.stringify(defaults.attributes),
      textArray(rows.map((r) => r.scope)),
      textArray(rows.map((r) => r.name)),
      plainArray(rows.map((r) => r.destRseId)),
      plainArray(rows.map((r) => r.bytes)),
      textArray(rows.map((r) => r.adler32)),
      textArray(rows.map((r) => r.md5)),
    ];
    if (!outbox) {
      const [{ n }] = await manager.query(`WITH queued AS (${insert} RETURNING 1) SELECT count(*)::int AS n FROM queued`, params);
      return n;
    }
    params.push(outbox.topic, outbox.eventType, outbox.version);
    const [{ n }] = await manager.query(
      `WITH queued AS (${insert} RETURNING dest_rse_id, rule_id)${queuedEvents('queued', '$12', '$13', '$14')}`,
      params,
    );
    return n;
  },

  /**
   * Cancels the not yet submitted transfers of a rule's unsatisfied locks that no lock needs any more (the
   * replica's lock_cnt is already 0): they move to requests_history as FAILED with `reason`.
   * Call after the replicas were released and before the locks are deleted.
   */
  async cancelUnneededOfRule(manager: EntityManager, ruleId: string, reason: string): Promise<number> {
    // Driven from the rule's locks, with primary-key probes per lock (LATERAL ... LIMIT 1): a rule just created
    // is missing from the statistics, and a join planned from them can go quadratic.
    const rows = await manager.query(
      `WITH doomed AS (
         SELECT q.id
           FROM locks l
           JOIN LATERAL (SELECT r.lock_cnt FROM replicas r
                          WHERE r.scope = l.scope AND r.name = l.name AND r.rse_id = l.rse_id LIMIT 1) r ON r.lock_cnt = 0
           JOIN LATERAL (SELECT q.id FROM requests q
                          WHERE q.scope = l.scope AND q.name = l.name AND q.dest_rse_id = l.rse_id AND q.request_type = 'T'
                            AND q.state = ANY($2::requests_state_enum[]) LIMIT 1 FOR UPDATE) q ON true
          WHERE l.rule_id = $1 AND l.state <> 'O'
       ), moved AS (
         -- Locked above in their unsubmitted state; by primary key only (a state condition here would tempt the
         -- planner into the state index, filtering every row against the whole id array).
         DELETE FROM requests q WHERE q.id = ANY(ARRAY(SELECT id FROM doomed))
          RETURNING q.*
       )${archive('moved', RequestState.FAILED, '$3')}
       RETURNING id`,
      [ruleId, UNSUBMITTED_STATES, reason],
    );
    return rows.length;
  },

  /**
   * Cancels the not yet submitted transfers of a rule's STUCK locks that no REPLICATING lock of another rule waits
   * for: they move to requests_history as FAILED with `reason`. Returns how many.
   */
  async cancelForStuckLocksOfRule(manager: EntityManager, ruleId: string, reason: string): Promise<number> {
    const rows = await manager.query(
      `WITH doomed AS (
         SELECT q.id
           FROM locks l
           JOIN LATERAL (SELECT q.id FROM requests q
                          WHERE q.scope = l.scope AND q.name = l.name AND q.dest_rse_id = l.rse_id AND q.request_type = 'T'
                            AND q.state = ANY($2::requests_state_enum[]) LIMIT 1 FOR UPDATE) q ON true
          WHERE l.rule_id = $1 AND l.state = 'S'
            AND NOT EXISTS (SELECT 1 FROM locks o WHERE o.scope = l.scope AND o.name = l.name AND ${PROBE_RSE('o', 'l')}
                                                    AND o.rule_id <> l.rule_id AND o.state = 'R')
       ), moved AS (
         DELETE FROM requests q WHERE q.id = ANY(ARRAY(SELECT id FROM doomed))
          RETURNING q.*
       )${archive('moved', RequestState.FAILED, '$3')}
       RETURNING id`,
      [ruleId, UNSUBMITTED_STATES, reason],
    );
    return rows.length;
  },

  /** The rule's transfers waiting out a retry back-off may go now. Returns how many. */
  async retryNowForRule(manager: EntityManager, ruleId: string): Promise<number> {
    const [, count] = await manager.query(
      `UPDATE requests SET retry_after = NULL, updated_at = now() WHERE rule_id = $1 AND retry_after > now()`,
      [ruleId],
    );
    return count;
  },

  /**
   * Queued transfers of these files that found no source on their last attempt and wait out its back-off go again
   * at once: a replica of the file just became AVAILABLE. A row the finisher holds is waited for (it may be
   * requeueing it with a back-off). Writes transfer.queued outbox rows (one per rule and destination) that wake the submitters; answers how many.
   */
  async wakeForNewSources(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>, outbox: OutboxColumns): Promise<number> {
    if (files.length === 0) return 0;
    const [{ n }] = await manager.query(
      // The files' requests are probed by (scope, name) down requests_did_dest_type_uq (OFFSET 0 keeps the probe),
      // then locked by id (request_type as text keeps the planner off requests_queued_pick_idx): a young
      // catalogue's statistics would otherwise read every queued request.
      `WITH cand AS (
         SELECT q.id FROM unnest($1::varchar[], $2::varchar[]) AS u(scope, name)
          CROSS JOIN LATERAL (SELECT q.id FROM requests q WHERE q.scope = u.scope AND q.name = u.name OFFSET 0) q
       ), due AS (
         SELECT q.id FROM requests q
          WHERE q.id = ANY(ARRAY(SELECT id FROM cand))
            AND q.request_type::text = 'T' AND q.state = 'Q' AND q.retry_after > now() AND q.err_msg LIKE 'no source:%'
          ORDER BY q.id FOR UPDATE OF q
       ), woken AS (
         UPDATE requests q SET retry_after = NULL, updated_at = now() FROM due WHERE q.id = due.id
         RETURNING q.dest_rse_id, q.rule_id
       )${queuedEvents('woken', '$3', '$4', '$5')}`,
      [textArray(files.map((f) => f.scope)), textArray(files.map((f) => f.name)), outbox.topic, outbox.eventType, outbox.version],
    );
    return n;
  },

  /** Transfers to these replicas that are not yet submitted are no longer needed: archived as DONE. */
  async finishForReplicas(manager: EntityManager, replicas: ReadonlyArray<{ scope: string; name: string; rseId: string }>, reason: string): Promise<number> {
    if (replicas.length === 0) return 0;
    const rows = await manager.query(
      // Probed key by key down requests_did_dest_type_uq (LIMIT 1: at most one by that key), never by joining
      // the keys against every request, as the planner did when the table was young.
      `WITH target AS (
         SELECT q.id FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
          CROSS JOIN LATERAL (
            SELECT q.id FROM requests q
             WHERE q.scope = u.scope AND q.name = u.name AND q.dest_rse_id = u.rse_id AND q.request_type = 'T' LIMIT 1
          ) q
       ), moved AS (
         DELETE FROM requests q USING target t WHERE q.id = t.id AND q.state = ANY($4::requests_state_enum[])
          RETURNING q.*
       )${archive('moved', RequestState.DONE, '$5')}
       RETURNING id`,
      [replicas.map((r) => r.scope), replicas.map((r) => r.name), replicas.map((r) => r.rseId), UNSUBMITTED_STATES, reason],
    );
    return rows.length;
  },

  /** Activity and priority of a rule's transfers that are not yet submitted. */
  async updateOfRule(manager: EntityManager, ruleId: string, changes: { activity?: string; priority?: number }): Promise<void> {
    if (changes.activity === undefined && changes.priority === undefined) return;
    await manager.query(
      `UPDATE requests SET activity = coalesce($2, activity), priority = coalesce($3, priority), updated_at = now()
        WHERE rule_id = $1 AND state = ANY($4::requests_state_enum[])`,
      [ruleId, changes.activity ?? null, changes.priority ?? null, UNSUBMITTED_STATES],
    );
  },

  async ofRule(manager: EntityManager, ruleId: string): Promise<Array<{ id: string; scope: string; name: string; destRseId: string; state: RequestState }>> {
    const rows = await manager.query(
      `SELECT id, scope, name, dest_rse_id, state FROM requests WHERE rule_id = $1 ORDER BY scope, name, dest_rse_id`,
      [ruleId],
    );
    return rows.map((r: { id: string; scope: string; name: string; dest_rse_id: string; state: RequestState }) => ({
      id: r.id,
      scope: r.scope,
      name: r.name,
      destRseId: r.dest_rse_id,
      state: r.state,
    }));
  },
};
