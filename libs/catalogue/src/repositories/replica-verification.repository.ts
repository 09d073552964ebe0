import { EntityManager } from 'typeorm';
import type { ReplicaState } from '@tarn/domain';
import { OutboxColumns, plainArray, ReplicaKey, textArray } from './replica.repository.js';

/** A replica whose check the registrar took (leased): what the catalogue says about it. */
export interface PendingVerification extends ReplicaKey {
  account: string;
  /** Attempts including this one. */
  attempts: number;
  /** null when the replica row is gone. */
  state: ReplicaState | null;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  path: string | null;
}

/** The outcome of checking one replica on its storage. */
export interface VerificationOutcome extends ReplicaKey {
  verdict: 'ok' | 'bad' | 'retry';
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

const keyArrays = (rows: readonly ReplicaKey[]) => [
  textArray(rows.map((r) => r.scope)),
  textArray(rows.map((r) => r.name)),
  plainArray(rows.map((r) => r.rseId)),
];

export const replicaVerificationRepository = {
  /**
   * Replicas (not AVAILABLE and not being deleted) that someone says are now complete on storage (state change
   * to AVAILABLE): they become COPYING and are queued for verification; one replica.announced outbox row per
   * RSE. Returns how many were queued.
   */
  async announce(manager: EntityManager, keys: readonly ReplicaKey[], account: string, announced: OutboxColumns): Promise<number> {
    if (keys.length === 0) return 0;
    const [{ n }] = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)),
            c AS (
              UPDATE replicas r SET state = 'C', error = NULL, updated_at = now()
                FROM u WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id AND r.state NOT IN ('A', 'B')
              RETURNING r.scope, r.name, r.rse_id
            ), v AS (
              INSERT INTO replica_verifications AS v (scope, name, rse_id, account)
              SELECT scope, name, rse_id, $4 FROM c
              ON CONFLICT (scope, name, rse_id) DO UPDATE SET account = EXCLUDED.account, attempts = 0, not_before = now(), last_error = NULL
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
   */
  async lease(manager: EntityManager, limit: number, leaseSeconds: number): Promise<PendingVerification[]> {
    const rows = await manager.query(
      `WITH due AS (
         SELECT scope, name, rse_id FROM replica_verifications WHERE not_before <= now()
          ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE replica_verifications v SET not_before = now() + make_interval(secs => $2), attempts = v.attempts + 1
           FROM due WHERE v.scope = due.scope AND v.name = due.name AND v.rse_id = due.rse_id
         RETURNING v.scope, v.name, v.rse_id, v.account, v.attempts
       )
       SELECT l.scope, l.name, l.rse_id, l.account, l.attempts, r.state, r.bytes, r.adler32, r.md5, r.path
         FROM leased l LEFT JOIN replicas r ON r.scope = l.scope AND r.name = l.name AND r.rse_id = l.rse_id
        ORDER BY l.rse_id, l.scope, l.name`,
      [limit, leaseSeconds],
    );
    return rows.map(
      (r: { scope: string; name: string; rse_id: string; account: string; attempts: number; state: ReplicaState | null; bytes: string | null; adler32: string | null; md5: string | null; path: string | null }) => ({
        scope: r.scope,
        name: r.name,
        rseId: r.rse_id,
        account: r.account,
        attempts: Number(r.attempts),
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
   * only dequeued): verified ones get the checksums they lacked (their file too); mismatches become BAD with the
   * reason, a bad_replicas row (by the announcing account) and a replica.bad outbox row; undecided ones wait
   * `retryAfterSeconds`. Returns the verified replicas, which the caller then marks AVAILABLE.
   */
  async record(manager: EntityManager, outcomes: readonly VerificationOutcome[], badEvent: OutboxColumns): Promise<ReplicaKey[]> {
    if (outcomes.length === 0) return [];
    const rows = await manager.query(
      `WITH u AS (
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::int[])
                AS u(scope, name, rse_id, verdict, adler32, md5, reason, retry_s)
       ), held AS (
         SELECT u.*, r.bytes AS replica_bytes FROM u JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
          WHERE r.state = 'C' ORDER BY u.scope, u.name, u.rse_id FOR UPDATE OF r
       ), filled AS (
         UPDATE replicas r SET adler32 = coalesce(r.adler32, h.adler32), md5 = coalesce(r.md5, h.md5), updated_at = now()
           FROM held h
          WHERE r.scope = h.scope AND r.name = h.name AND r.rse_id = h.rse_id AND h.verdict = 'ok'
            AND ((r.adler32 IS NULL AND h.adler32 IS NOT NULL) OR (r.md5 IS NULL AND h.md5 IS NOT NULL))
       ), did_filled AS (
         UPDATE dids d SET adler32 = coalesce(d.adler32, h.adler32), md5 = coalesce(d.md5, h.md5), updated_at = now()
           FROM held h
          WHERE d.scope = h.scope AND d.name = h.name AND h.verdict = 'ok'
            AND ((d.adler32 IS NULL AND h.adler32 IS NOT NULL) OR (d.md5 IS NULL AND h.md5 IS NOT NULL))
       ), bad AS (
         UPDATE replicas r SET state = 'D', error = h.reason, updated_at = now()
           FROM held h
          WHERE r.scope = h.scope AND r.name = h.name AND r.rse_id = h.rse_id AND h.verdict = 'bad'
         RETURNING r.scope, r.name, r.rse_id, r.bytes, h.reason
       ), bad_rows AS (
         INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes)
         SELECT b.scope, b.name, b.rse_id, 'B', left(b.reason, 255), v.account, b.bytes
           FROM bad b JOIN replica_verifications v ON v.scope = b.scope AND v.name = b.name AND v.rse_id = b.rse_id
         ON CONFLICT DO NOTHING
       ), bad_events AS (
         INSERT INTO outbox_messages (topic, key, event_type, version, payload)
         SELECT $9, b.scope || ':' || b.name, $10, $11,
                jsonb_build_object('scope', b.scope, 'name', b.name, 'rse', s.rse, 'rseId', b.rse_id, 'reason', b.reason)
           FROM bad b JOIN rses s ON s.id = b.rse_id
       ), dequeued AS (
         DELETE FROM replica_verifications v USING u
          WHERE v.scope = u.scope AND v.name = u.name AND v.rse_id = u.rse_id
            AND (u.verdict <> 'retry' OR NOT EXISTS (SELECT 1 FROM held h WHERE h.scope = u.scope AND h.name = u.name AND h.rse_id = u.rse_id))
       ), postponed AS (
         UPDATE replica_verifications v SET not_before = now() + make_interval(secs => h.retry_s), last_error = left(h.reason, 4000)
           FROM held h
          WHERE v.scope = h.scope AND v.name = h.name AND v.rse_id = h.rse_id AND h.verdict = 'retry'
       )
       SELECT scope, name, rse_id FROM held WHERE verdict = 'ok' ORDER BY scope, name, rse_id`,
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
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
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
