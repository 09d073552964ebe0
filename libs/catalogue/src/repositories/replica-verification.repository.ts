import { EntityManager } from 'typeorm';
import type { ReplicaState } from '@tarn/domain';
import { type ChangedReplica, keyArrays, lockReplicaRows, OutboxColumns, plainArray, PROBE_RSE, ReplicaKey, textArray, toChangedReplica } from './replica.repository.js';

/** A replica whose check the registrar took (leased): what the catalogue says about it. */
export interface PendingVerification extends ReplicaKey {
  account: string;
  /** Attempts including this one. */
  attempts: number;
  /** false: an upload announced the replica and never said it wrote it (its timeout passed). */
  written: boolean;
  /** When the replica was announced. */
  announcedAt: Date;
  /** Rule locks on the replica. */
  lockCnt: number;
  /** null when the replica row is gone. */
  state: ReplicaState | null;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  path: string | null;
}

/** The outcome of checking one replica on its storage. */
export interface VerificationOutcome extends ReplicaKey {
  /** drop: an upload never wrote the replica and no rule needs it; it goes (UNAVAILABLE, tombstone at the epoch). */
  verdict: 'ok' | 'bad' | 'retry' | 'drop';
  /** Checksums computed or read from the storage, to fill in where the catalogue has none. */
  adler32?: string | null;
  md5?: string | null;
  /** Why it is bad, or why it could not be decided (retry). */
  reason?: string | null;
  /** retry: not before this many seconds. */
  retryAfterSeconds?: number;
}

/** A storage protocol of an RSE, with what createStorage needs. */
export interface RseStorageProtocol {
  rseId: string;
  rse: string;
  deterministic: boolean;
  lfn2pfnAlgorithm: string | null;
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  extendedAttributes: Record<string, unknown> | null;
  readWan: number;
  readLan: number;
}


export const replicaVerificationRepository = {
  /**
   * Replicas (not AVAILABLE and not being deleted) that someone says are now complete on storage (state change
   * to AVAILABLE): they become COPYING and are queued for verification; one replica.announced outbox row per
   * RSE. Returns how many were queued.
   */
  async announce(manager: EntityManager, keys: readonly ReplicaKey[], account: string, announced: OutboxColumns): Promise<number> {
    if (keys.length === 0) return 0;
    await lockReplicaRows(manager, keys);
    const [{ n }] = await manager.query(
      // Primary-key probes from the keys and an update by tuple id: no join planned from (missing) statistics.
      `WITH t AS (
              SELECT r.tid FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
                CROSS JOIN LATERAL (SELECT r.ctid AS tid FROM replicas r
                                     WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} AND r.state NOT IN ('A', 'B')
                                     LIMIT 1 FOR UPDATE) r
            ), c AS (
              UPDATE replicas r SET state = 'C', error = NULL, updated_at = now()
               WHERE r.ctid = ANY(ARRAY(SELECT tid FROM t))
              RETURNING r.scope, r.name, r.rse_id
            ), v AS (
              INSERT INTO replica_verifications AS v (scope, name, rse_id, account)
              SELECT scope, name, rse_id, $4 FROM c
              ON CONFLICT (scope, name, rse_id) DO UPDATE SET account = EXCLUDED.account, attempts = 0, not_before = now(), written = true, last_error = NULL
              RETURNING rse_id
            ), per_rse AS (SELECT rse_id, count(*)::int AS n FROM v GROUP BY rse_id),
            events AS (
              INSERT INTO outbox_messages (topic, key, event_type, version, payload)
              SELECT $5, p.rse_id::text, $6, $7, jsonb_build_object('rse', s.rse, 'rseId', p.rse_id, 'count', p.n)
                FROM per_rse p JOIN rses s ON s.id = p.rse_id
            )
       SELECT coalesce(sum(n), 0)::int AS n FROM per_rse`,
      [...keyArrays(keys), account, announced.topic, announced.eventType, announced.version],
    );
    return n;
  },

  /**
   * Takes up to `limit` due checks, skipping those another registrar holds, and leases them for `leaseSeconds`
   * (attempts + 1): the storage is read outside any transaction, and a registrar that dies leaves them due again.
   * Sorted by (scope, name, rse_id), the order in which `record` locks the replicas.
   */
  async lease(manager: EntityManager, limit: number, leaseSeconds: number): Promise<PendingVerification[]> {
    // By tuple id and primary-key probes only (PROBE_RSE): the queue is young and seldom analysed, and a join
    // planned from its statistics can scan it (or an RSE's replicas) once per row.
    const rows = await manager.query(
      `WITH due AS (
         SELECT ctid AS tid FROM replica_verifications WHERE not_before <= now()
          ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE replica_verifications v SET not_before = now() + make_interval(secs => $2), attempts = v.attempts + 1
          WHERE v.ctid = ANY(ARRAY(SELECT tid FROM due))
         RETURNING v.scope, v.name, v.rse_id, v.account, v.attempts, v.written, v.created_at
       )
       SELECT l.scope, l.name, l.rse_id, l.account, l.attempts, l.written, l.created_at, r.state, r.bytes, r.adler32, r.md5, r.path, r.lock_cnt
         FROM leased l
         LEFT JOIN LATERAL (SELECT r.state, r.bytes, r.adler32, r.md5, r.path, r.lock_cnt FROM replicas r
                             WHERE r.scope = l.scope AND r.name = l.name AND ${PROBE_RSE('r', 'l')} LIMIT 1) r ON true
        ORDER BY l.scope, l.name, l.rse_id`,
      [limit, leaseSeconds],
    );
    return rows.map(
      (r: {
        scope: string; name: string; rse_id: string; account: string; attempts: number; written: boolean; created_at: Date; state: ReplicaState | null;
        bytes: string | null; adler32: string | null; md5: string | null; path: string | null; lock_cnt: number | null;
      }) => ({
        scope: r.scope,
        name: r.name,
        rseId: r.rse_id,
        account: r.account,
        attempts: Number(r.attempts),
        written: r.written,
        announcedAt: r.created_at,
        lockCnt: Number(r.lock_cnt ?? 0),
        state: r.state,
        bytes: r.bytes === null ? null : Number(r.bytes),
        adler32: r.adler32,
        md5: r.md5,
        path: r.path,
      }),
    );
  },

  /**
   * Records a batch of checks in ONE statement, for the replicas still COPYING (others changed meanwhile and are
   * only dequeued): verified ones become AVAILABLE with the checksums they lacked (their file gets them too);
   * mismatches become BAD with the reason, a bad_replicas row (by the announcing account) and a replica.bad outbox
   * row; replicas an upload never wrote and no rule locks (drop) become UNAVAILABLE with the reason and a tombstone
   * at the epoch, for the reaper; undecided ones wait `retryAfterSeconds`. Returns the replicas made AVAILABLE (with size and RSE name): the
   * caller settles what waits for them (replicasBecameAvailable). Pass outcomes sorted by (scope, name, rse_id).
   */
  async record(manager: EntityManager, outcomes: readonly VerificationOutcome[], badEvent: OutboxColumns): Promise<ChangedReplica[]> {
    if (outcomes.length === 0) return [];
    await lockReplicaRows(manager, outcomes);
    // Every row is reached from the batch's keys by a primary-key probe (LATERAL ... LIMIT 1, PROBE_RSE) and written by tuple
    // id: no join whose plan depends on statistics (a never-analysed replicas table once made the planner filter a
    // whole RSE's replicas per key). The replicas are locked FOR UPDATE in the batch's order.
    const rows = await manager.query(
      `WITH u AS (
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::int[])
                AS u(scope, name, rse_id, verdict, adler32, md5, reason, retry_s)
       ), k AS (
         SELECT u.*, r.tid AS replica_tid, v.tid AS check_tid, v.account
           FROM u
           LEFT JOIN LATERAL (SELECT r.ctid AS tid FROM replicas r
                               WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} AND r.state = 'C'
                               LIMIT 1 FOR UPDATE) r ON true
           LEFT JOIN LATERAL (SELECT v.ctid AS tid, v.account FROM replica_verifications v
                               WHERE v.scope = u.scope AND v.name = u.name AND v.rse_id = u.rse_id LIMIT 1) v ON true
       ), decided AS (
         UPDATE replicas r
            SET state = CASE WHEN k.verdict = 'ok' THEN 'A' WHEN k.verdict = 'drop' AND r.lock_cnt = 0 THEN 'U' ELSE 'D' END::replicas_state_enum,
                tombstone = CASE WHEN k.verdict = 'drop' AND r.lock_cnt = 0 THEN '1970-01-01T00:00:00Z' ELSE r.tombstone END,
                adler32 = CASE WHEN k.verdict = 'ok' THEN coalesce(r.adler32, k.adler32) ELSE r.adler32 END,
                md5 = CASE WHEN k.verdict = 'ok' THEN coalesce(r.md5, k.md5) ELSE r.md5 END,
                error = CASE WHEN k.verdict = 'ok' THEN NULL ELSE k.reason END,
                updated_at = now()
           FROM k
          WHERE r.ctid = ANY(ARRAY(SELECT replica_tid FROM k WHERE replica_tid IS NOT NULL AND verdict <> 'retry'))
            AND r.ctid = k.replica_tid
         -- A replica to drop that a rule locked meanwhile is bad instead: its locks are re-planned.
         RETURNING r.scope, r.name, r.rse_id, r.bytes, CASE WHEN k.verdict = 'drop' AND r.lock_cnt > 0 THEN 'bad' ELSE k.verdict END AS verdict,
                   k.reason, k.account
       ), files AS (
         SELECT d.tid, k.adler32, k.md5
           FROM k
           JOIN LATERAL (SELECT d.ctid AS tid FROM dids d
                          WHERE d.scope = k.scope AND d.name = k.name
                            AND ((d.adler32 IS NULL AND k.adler32 IS NOT NULL) OR (d.md5 IS NULL AND k.md5 IS NOT NULL))
                          LIMIT 1 FOR UPDATE) d ON true
          WHERE k.replica_tid IS NOT NULL AND k.verdict = 'ok'
       ), files_filled AS (
         UPDATE dids d SET adler32 = coalesce(d.adler32, f.adler32), md5 = coalesce(d.md5, f.md5), updated_at = now()
           FROM files f
          WHERE d.ctid = ANY(ARRAY(SELECT tid FROM files)) AND d.ctid = f.tid
       ), bad_rows AS (
         INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes)
         SELECT b.scope, b.name, b.rse_id, 'B', left(b.reason, 255), b.account, b.bytes
           FROM decided b WHERE b.verdict = 'bad' AND b.account IS NOT NULL
         ON CONFLICT DO NOTHING
       ), bad_events AS (
         INSERT INTO outbox_messages (topic, key, event_type, version, payload)
         SELECT $9, b.scope || ':' || b.name, $10, $11,
                jsonb_build_object('scope', b.scope, 'name', b.name, 'rse', s.rse, 'rseId', b.rse_id, 'reason', b.reason)
           FROM decided b JOIN rses s ON s.id = b.rse_id WHERE b.verdict = 'bad'
       ), dequeued AS (
         -- By tuple id: a check announced again meanwhile (a new row version) stays queued.
         DELETE FROM replica_verifications v
          WHERE v.ctid = ANY(ARRAY(SELECT check_tid FROM k WHERE check_tid IS NOT NULL AND (verdict <> 'retry' OR replica_tid IS NULL)))
       ), postponed AS (
         UPDATE replica_verifications v SET not_before = now() + make_interval(secs => k.retry_s), last_error = left(k.reason, 4000)
           FROM k
          WHERE v.ctid = ANY(ARRAY(SELECT check_tid FROM k WHERE check_tid IS NOT NULL AND verdict = 'retry' AND replica_tid IS NOT NULL))
            AND v.ctid = k.check_tid
       )
       SELECT b.scope, b.name, b.rse_id, b.bytes, s.rse FROM decided b JOIN rses s ON s.id = b.rse_id
        WHERE b.verdict = 'ok' ORDER BY b.scope, b.name, b.rse_id`,
      [
        ...keyArrays(outcomes),
        textArray(outcomes.map((o) => o.verdict)),
        textArray(outcomes.map((o) => o.adler32 ?? null)),
        textArray(outcomes.map((o) => o.md5 ?? null)),
        textArray(outcomes.map((o) => o.reason ?? null)),
        plainArray(outcomes.map((o) => Math.max(1, Math.round(o.retryAfterSeconds ?? 60)))),
        badEvent.topic,
        badEvent.eventType,
        badEvent.version,
      ],
    );
    return rows.map(toChangedReplica);
  },

  /** The storage protocols of these RSEs (live ones), best read priority first. */
  async storageProtocols(manager: EntityManager, rseIds: readonly string[]): Promise<RseStorageProtocol[]> {
    if (rseIds.length === 0) return [];
    const rows = await manager.query(
      `SELECT s.id, s.rse, s.deterministic,
              (SELECT a.value #>> '{}' FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'lfn2pfn_algorithm') AS lfn2pfn,
              p.scheme, p.hostname, p.port, p.prefix, p.extended_attributes, p.read_wan, p.read_lan
         FROM rses s JOIN rse_protocols p ON p.rse_id = s.id
        WHERE s.id = ANY($1::uuid[]) AND NOT s.deleted
        ORDER BY s.id, (p.read_lan > 0 OR p.read_wan > 0) DESC, least(nullif(p.read_lan, 0), nullif(p.read_wan, 0)) NULLS LAST, p.scheme`,
      [rseIds],
    );
    return rows.map(
      (r: { id: string; rse: string; deterministic: boolean; lfn2pfn: string | null; scheme: string; hostname: string; port: number; prefix: string; extended_attributes: Record<string, unknown> | null; read_wan: number; read_lan: number }) => ({
        rseId: r.id,
        rse: r.rse,
        deterministic: r.deterministic,
        lfn2pfnAlgorithm: r.lfn2pfn,
        scheme: r.scheme,
        hostname: r.hostname,
        port: r.port,
        prefix: r.prefix,
        extendedAttributes: r.extended_attributes,
        readWan: r.read_wan,
        readLan: r.read_lan,
      }),
    );
  },

  /** How many checks are waiting (due or not). */
  async pendingCount(manager: EntityManager): Promise<number> {
    const [{ n }] = await manager.query(`SELECT count(*)::int AS n FROM replica_verifications`);
    return n;
  },
};
