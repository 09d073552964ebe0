import { EntityManager } from 'typeorm';
import { BadReplicaState, LockReasonCode } from '@tarn/domain';
import { keyArrays, OutboxColumns, plainArray, PROBE_RSE, type ReplicaKey, textArray } from './replica.repository.js';
import { queuedEvents } from './request.repository.js';

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

/** A replica whose bytes a reader found not to match the catalogue, and what was found. */
export interface CorruptReplica {
  scope: string;
  name: string;
  rseId: string;
  reason: string;
}

/** A corrupt replica as declared: BAD (another AVAILABLE copy exists) or SUSPICIOUS (the only copy). */
export interface DeclaredCorrupt {
  scope: string;
  name: string;
  rseId: string;
  rse: string;
  state: BadReplicaState.BAD | BadReplicaState.SUSPICIOUS;
  reason: string;
}

/** A replica declared SUSPICIOUS, with how many times and when last (Rucio's list_suspicious_replicas). */
export interface SuspiciousReplica {
  scope: string;
  name: string;
  rseId: string;
  rse: string;
  count: number;
  lastDeclaredAt: Date;
}

/** A declaration of bad_replicas with its RSE's name (Rucio's list_bad_replicas_status). */
export interface BadReplicaDeclaration extends BadReplicaRecord {
  rse: string;
  updatedAt: Date;
}

export const badReplicaRepository = {
  /** Declarations, newest first, filtered by state, RSE and age; one page (`limit` after `offset`). */
  async list(
    manager: EntityManager,
    filter: { state?: BadReplicaState; rseId?: string; youngerThan?: Date; olderThan?: Date; limit: number; offset: number },
  ): Promise<BadReplicaDeclaration[]> {
    const rows = await manager.query(
      `SELECT b.scope, b.name, b.rse_id, s.rse, b.state::text AS state, b.reason, b.account, b.bytes, b.created_at, b.updated_at
         FROM bad_replicas b JOIN rses s ON s.id = b.rse_id
        WHERE ($1::text IS NULL OR b.state::text = $1) AND ($2::uuid IS NULL OR b.rse_id = $2)
          AND ($3::timestamptz IS NULL OR b.created_at >= $3) AND ($4::timestamptz IS NULL OR b.created_at < $4)
        ORDER BY b.created_at DESC, b.scope, b.name LIMIT $5 OFFSET $6`,
      [filter.state ?? null, filter.rseId ?? null, filter.youngerThan ?? null, filter.olderThan ?? null, filter.limit, filter.offset],
    );
    return rows.map((r: Record<string, unknown>) => ({
      scope: String(r.scope),
      name: String(r.name),
      rseId: String(r.rse_id),
      rse: String(r.rse),
      state: r.state as BadReplicaState,
      reason: (r.reason as string | null) ?? null,
      account: String(r.account),
      bytes: r.bytes === null ? null : Number(r.bytes),
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
    }));
  },

  /**
   * AVAILABLE replicas declared SUSPICIOUS more than `minCount` times since `since` and not declared BAD since, on
   * `rseIds` (all RSEs when null), outside `excludeScopes`; most often declared first.
   */
  async suspicious(
    manager: EntityManager,
    filter: {
      since: Date;
      minCount: number;
      rseIds: readonly string[] | null;
      excludeScopes: readonly string[];
      /** Only those with another AVAILABLE replica of the file (which a BAD declaration could be recovered from). */
      recoverableOnly?: boolean;
      limit?: number;
    },
  ): Promise<SuspiciousReplica[]> {
    const recoverable = filter.recoverableOnly
      ? `AND EXISTS (SELECT 1 FROM replicas o WHERE o.scope = b.scope AND o.name = b.name AND o.rse_id <> b.rse_id AND o.state = 'A')`
      : '';
    const rows = await manager.query(
      `SELECT b.scope, b.name, b.rse_id, s.rse, count(*)::int AS cnt, max(b.created_at) AS last_declared_at
         FROM bad_replicas b
         JOIN rses s ON s.id = b.rse_id
         JOIN replicas r ON r.scope = b.scope AND r.name = b.name AND ${PROBE_RSE('r', 'b')} AND r.state = 'A'
        WHERE b.state = 'S' AND b.created_at >= $1 AND ($2::uuid[] IS NULL OR b.rse_id = ANY($2::uuid[])) AND b.scope <> ALL($4::varchar[])
          AND NOT EXISTS (SELECT 1 FROM bad_replicas x WHERE x.scope = b.scope AND x.name = b.name AND x.rse_id = b.rse_id
                             AND x.state = 'B' AND x.created_at >= $1)
          ${recoverable}
        GROUP BY b.scope, b.name, b.rse_id, s.rse
       HAVING count(*) > $3
        ORDER BY cnt DESC, b.scope, b.name, s.rse
        LIMIT $5`,
      [filter.since.toISOString(), filter.rseIds === null ? null : plainArray(filter.rseIds), filter.minCount, textArray(filter.excludeScopes), filter.limit ?? null],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string; rse: string; cnt: number; last_declared_at: Date }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      rse: r.rse,
      count: r.cnt,
      lastDeclaredAt: r.last_declared_at,
    }));
  },

  /**
   * Declares AVAILABLE replicas found corrupt, in one statement (lock their rows first, lockReplicaRows): BAD, and
   * the replica state BAD, where another AVAILABLE replica of the file exists to recover it from; SUSPICIOUS, the
   * replica left AVAILABLE, where it is the only copy (one failed read is no proof to give up the last copy).
   * Replicas no longer AVAILABLE are left alone. Returns the declarations made.
   */
  async declareCorrupt(manager: EntityManager, rows: readonly CorruptReplica[], account: string): Promise<DeclaredCorrupt[]> {
    if (rows.length === 0) return [];
    const declared = await manager.query(
      `WITH u AS (
         SELECT DISTINCT ON (scope, name, rse_id) * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[]) AS u(scope, name, rse_id, reason)
       ), c AS (
         SELECT u.scope, u.name, u.rse_id, left(u.reason, 255) AS reason, r.bytes, s.rse,
                EXISTS (SELECT 1 FROM replicas o WHERE o.scope = u.scope AND o.name = u.name AND o.rse_id <> u.rse_id AND o.state = 'A') AS other_copy
           FROM u JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} AND r.state = 'A'
           JOIN rses s ON s.id = u.rse_id
       ), declared AS (
         INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes)
         SELECT scope, name, rse_id, CASE WHEN other_copy THEN 'B' ELSE 'S' END::bad_replicas_state_enum, reason, $5, bytes FROM c
         ON CONFLICT DO NOTHING
       ), marked AS (
         UPDATE replicas r SET state = 'D', error = c.reason, updated_at = now()
           FROM c WHERE c.other_copy AND r.scope = c.scope AND r.name = c.name AND ${PROBE_RSE('r', 'c')}
       )
       SELECT scope, name, rse_id, rse, reason, other_copy FROM c ORDER BY scope, name, rse_id`,
      [...keyArrays(rows), textArray(rows.map((r) => r.reason)), account],
    );
    return declared.map((d: { scope: string; name: string; rse_id: string; rse: string; reason: string; other_copy: boolean }) => ({
      scope: d.scope,
      name: d.name,
      rseId: d.rse_id,
      rse: d.rse,
      reason: d.reason,
      state: d.other_copy ? BadReplicaState.BAD : BadReplicaState.SUSPICIOUS,
    }));
  },

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

  /**
   * Declares AVAILABLE (or already TEMPORARY_UNAVAILABLE) replicas temporarily unavailable until `expiresAt` (null:
   * until someone says otherwise): state T, and a TEMPORARY_UNAVAILABLE declaration row each. Returns the replicas
   * marked; the others (COPYING, BAD...) are left as they are.
   */
  async markTemporaryUnavailable(
    manager: EntityManager,
    keys: readonly ReplicaKey[],
    declaration: { account: string; reason: string | null; expiresAt: Date | null },
  ): Promise<ReplicaKey[]> {
    if (keys.length === 0) return [];
    const rows = await manager.query(
      `WITH marked AS (
         UPDATE replicas r SET state = 'T', updated_at = now()
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
          WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id AND r.state IN ('A', 'T')
          RETURNING r.scope, r.name, r.rse_id, r.bytes
       ), declared AS (
         INSERT INTO bad_replicas (scope, name, rse_id, state, reason, account, bytes, expires_at)
         SELECT scope, name, rse_id, 'T', $4, $5, bytes, $6 FROM marked
         ON CONFLICT DO NOTHING
       )
       SELECT scope, name, rse_id FROM marked ORDER BY scope, name, rse_id`,
      [...keyArrays(keys), declaration.reason, declaration.account, declaration.expiresAt],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
  },

  /**
   * Replicas declared temporarily unavailable whose every declaration has expired become AVAILABLE again (at most
   * `limit`, taken with SKIP LOCKED); their declarations are closed (RECOVERED). Returns the replicas restored.
   */
  async restoreExpiredUnavailable(manager: EntityManager, now: Date, limit: number): Promise<ReplicaKey[]> {
    const rows = await manager.query(
      `WITH due AS (
         SELECT r.scope, r.name, r.rse_id FROM replicas r
          WHERE r.state = 'T'
            AND EXISTS (SELECT 1 FROM bad_replicas b WHERE b.scope = r.scope AND b.name = r.name AND b.rse_id = r.rse_id AND b.state = 'T')
            AND NOT EXISTS (SELECT 1 FROM bad_replicas b WHERE b.scope = r.scope AND b.name = r.name AND b.rse_id = r.rse_id
                                                          AND b.state = 'T' AND (b.expires_at IS NULL OR b.expires_at > $1))
          ORDER BY r.scope, r.name, r.rse_id LIMIT $2 FOR UPDATE OF r SKIP LOCKED
       ), restored AS (
         UPDATE replicas r SET state = 'A', updated_at = now() FROM due
          WHERE r.scope = due.scope AND r.name = due.name AND r.rse_id = due.rse_id
          RETURNING r.scope, r.name, r.rse_id
       ), closed AS (
         UPDATE bad_replicas b SET state = 'R', updated_at = now() FROM restored x
          WHERE b.scope = x.scope AND b.name = x.name AND b.rse_id = x.rse_id AND b.state = 'T'
       )
       SELECT scope, name, rse_id FROM restored`,
      [now, limit],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
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

/** A BAD replica waiting for recovery, with the AVAILABLE replicas of its file elsewhere. */
export interface BadReplicaToRecover {
  scope: string;
  name: string;
  rseId: string;
  rse: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  reason: string | null;
  /** RSE ids of AVAILABLE replicas of the same file (none: the file is lost here). */
  sources: string[];
}

/** Per rule, how many of its locks left which state (for the rule's counters). */
export interface LockStateChange {
  ruleId: string;
  fromOk: number;
  fromReplicating: number;
  fromStuck: number;
}


const toChanges = (rows: Array<{ rule_id: string; from_ok: string; from_replicating: string; from_stuck: string }>): LockStateChange[] =>
  rows.map((r) => ({ ruleId: r.rule_id, fromOk: Number(r.from_ok), fromReplicating: Number(r.from_replicating), fromStuck: Number(r.from_stuck) }));

export const badReplicaRecoveryRepository = {
  /**
   * Up to `limit` replicas declared bad (bad_replicas BAD, replica still BAD), oldest declaration first, locked
   * (SKIP LOCKED: another recoverer takes others), each once, with the RSEs holding an AVAILABLE copy.
   */
  async claim(manager: EntityManager, limit: number): Promise<BadReplicaToRecover[]> {
    const rows = await manager.query(
      `WITH c AS (
         SELECT b.scope, b.name, b.rse_id, b.reason, b.created_at
           FROM bad_replicas b JOIN replicas r ON r.scope = b.scope AND r.name = b.name AND r.rse_id = b.rse_id
          WHERE b.state = 'B' AND r.state = 'D'
          ORDER BY b.created_at LIMIT $1
          FOR UPDATE OF b, r SKIP LOCKED
       )
       SELECT DISTINCT ON (c.scope, c.name, c.rse_id) c.scope, c.name, c.rse_id, s.rse, r.bytes, r.adler32, r.md5, c.reason,
              coalesce((SELECT array_agg(o.rse_id ORDER BY o.rse_id) FROM replicas o
                         WHERE o.scope = c.scope AND o.name = c.name AND o.state = 'A' AND o.rse_id <> c.rse_id), '{}') AS sources
         FROM c JOIN replicas r ON r.scope = c.scope AND r.name = c.name AND r.rse_id = c.rse_id JOIN rses s ON s.id = c.rse_id
        ORDER BY c.scope, c.name, c.rse_id, c.created_at DESC`,
      [limit],
    );
    return rows.map(
      (r: { scope: string; name: string; rse_id: string; rse: string; bytes: string; adler32: string | null; md5: string | null; reason: string | null; sources: string[] }) => ({
        scope: r.scope,
        name: r.name,
        rseId: r.rse_id,
        rse: r.rse,
        bytes: Number(r.bytes),
        adler32: r.adler32,
        md5: r.md5,
        reason: r.reason,
        sources: r.sources,
      }),
    );
  },

  /**
   * Re-copies bad replicas (each has another AVAILABLE copy), set-based: the replica is COPYING again, a transfer
   * is QUEUED to its RSE (for the first rule locking it, activity 'Recovery'; an existing request is kept), one
   * transfer.queued outbox row per rule and RSE, the declarations are RECOVERED; OK and STUCK locks on it go back
   * to REPLICATING. Returns the lock changes per rule.
   */
  async requeue(manager: EntityManager, replicas: readonly BadReplicaToRecover[], queued: OutboxColumns): Promise<LockStateChange[]> {
    if (replicas.length === 0) return [];
    const params = [
      ...keyArrays(replicas),
      plainArray(replicas.map((r) => r.bytes)),
      textArray(replicas.map((r) => r.adler32)),
      textArray(replicas.map((r) => r.md5)),
    ];
    await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::bigint[], $5::varchar[], $6::varchar[])
                  AS u(scope, name, rse_id, bytes, adler32, md5)),
            rep AS (
              UPDATE replicas r SET state = 'C', error = NULL, updated_at = now()
                FROM u WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
            ), declared AS (
              UPDATE bad_replicas b SET state = 'R', updated_at = now()
                FROM u WHERE b.scope = u.scope AND b.name = u.name AND b.rse_id = u.rse_id AND b.state = 'B'
            ), queued AS (
              INSERT INTO requests (request_type, scope, name, did_type, dest_rse_id, state, rule_id, activity, account, bytes, adler32, md5)
              SELECT 'T', u.scope, u.name, 'F', u.rse_id, 'Q', lr.rule_id, 'Recovery', coalesce(lr.account, 'root'), u.bytes, u.adler32, u.md5
                FROM u LEFT JOIN LATERAL (SELECT l.rule_id, l.account FROM locks l
                                           WHERE l.scope = u.scope AND l.name = u.name AND ${PROBE_RSE('l', 'u')} ORDER BY l.rule_id LIMIT 1) lr ON true
              ON CONFLICT (scope, name, dest_rse_id, request_type) DO NOTHING
              RETURNING dest_rse_id, rule_id
            )${queuedEvents('queued', '$7', '$8', '$9')}`,
      [...params, queued.topic, queued.eventType, queued.version],
    );
    const rows = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[]) AS u(scope, name, rse_id, reason)),
            old AS (
              SELECT l.scope, l.name, l.rule_id, l.rse_id, l.state, u.reason FROM u JOIN locks l ON l.scope = u.scope AND l.name = u.name AND ${PROBE_RSE('l', 'u')}
               WHERE l.state IN ('O', 'S') ORDER BY l.scope, l.name, l.rule_id, l.rse_id FOR UPDATE OF l
            ), changed AS (
              UPDATE locks l SET state = 'R', updated_at = now(),
                     error = 'the replica was BAD (' || coalesce(o.reason, 'no reason recorded') || '); copied again from another replica'
                FROM old o WHERE l.scope = o.scope AND l.name = o.name AND l.rule_id = o.rule_id AND l.rse_id = o.rse_id
            )
       SELECT rule_id, count(*) FILTER (WHERE state = 'O') AS from_ok, 0 AS from_replicating, count(*) FILTER (WHERE state = 'S') AS from_stuck
         FROM old GROUP BY rule_id ORDER BY rule_id`,
      [...keyArrays(replicas), textArray(replicas.map((r) => r.reason))],
    );
    return toChanges(rows);
  },

  /**
   * Bad replicas with no other copy anywhere: their OK and REPLICATING locks become STUCK with `errors` (per
   * replica) and so does their rules' error; the declarations are LOST; a file with no AVAILABLE replica left is
   * LOST (availability); one replica.lost outbox row each. Returns the lock changes per rule.
   */
  async markLost(manager: EntityManager, replicas: ReadonlyArray<BadReplicaToRecover & { error: string }>, lost: OutboxColumns): Promise<LockStateChange[]> {
    if (replicas.length === 0) return [];
    const rows = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[]) AS u(scope, name, rse_id, rse, error)),
            old AS (
              SELECT l.scope, l.name, l.rule_id, l.rse_id, l.state, u.error FROM u JOIN locks l ON l.scope = u.scope AND l.name = u.name AND ${PROBE_RSE('l', 'u')}
               WHERE l.state IN ('O', 'R') ORDER BY l.scope, l.name, l.rule_id, l.rse_id FOR UPDATE OF l
            ), changed AS (
              UPDATE locks l SET state = 'S', error = o.error, reason_code = '${LockReasonCode.LOST}', reason = o.error, updated_at = now()
                FROM old o WHERE l.scope = o.scope AND l.name = o.name AND l.rule_id = o.rule_id AND l.rse_id = o.rse_id
            ), rule_errors AS (
              UPDATE rules r SET error = x.error, updated_at = now()
                FROM (SELECT DISTINCT ON (rule_id) rule_id, error FROM old ORDER BY rule_id, scope, name) x WHERE r.id = x.rule_id
            ), declared AS (
              UPDATE bad_replicas b SET state = 'L', updated_at = now()
                FROM u WHERE b.scope = u.scope AND b.name = u.name AND b.rse_id = u.rse_id AND b.state = 'B'
            ), files AS (
              UPDATE dids d SET availability = 'L', updated_at = now()
                FROM (SELECT DISTINCT scope, name FROM u) f
               WHERE d.scope = f.scope AND d.name = f.name
                 AND NOT EXISTS (SELECT 1 FROM replicas o WHERE o.scope = f.scope AND o.name = f.name AND o.state = 'A')
            ), events AS (
              INSERT INTO outbox_messages (topic, key, event_type, version, payload)
              SELECT $6, u.scope || ':' || u.name, $7, $8,
                     jsonb_build_object('scope', u.scope, 'name', u.name, 'rse', u.rse, 'rseId', u.rse_id, 'reason', u.error)
                FROM u
            )
       SELECT rule_id, count(*) FILTER (WHERE state = 'O') AS from_ok, count(*) FILTER (WHERE state = 'R') AS from_replicating, 0 AS from_stuck
         FROM old GROUP BY rule_id ORDER BY rule_id`,
      [
        ...keyArrays(replicas),
        textArray(replicas.map((r) => r.rse)),
        textArray(replicas.map((r) => r.error)),
        lost.topic,
        lost.eventType,
        lost.version,
      ],
    );
    return toChanges(rows);
  },
};
