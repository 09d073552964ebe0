import { EntityManager } from 'typeorm';
import { plainArray, PROBE_RSE_ID, textArray } from './replica.repository.js';

/** An RSE with replicas the reaper may delete now, and what it needs to know about its space. */
export interface ReapableRse {
  id: string;
  rse: string;
  deterministic: boolean;
  greedy: boolean;
  lfn2pfnAlgorithm: string | null;
  /** rse_limits MinFreeSpace, 0 when unset. */
  minFreeSpace: number;
  /** Free bytes: storage-reported (rse_usage 'storage'), else MaxBytes - catalogue usage; null when unknown. */
  free: number | null;
  /** The protocols to delete through, best delete priority first (the next when one fails); none when the RSE has none. */
  protocols: DeleteProtocol[];
}

export interface DeleteProtocol {
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  extendedAttributes: Record<string, unknown> | null;
}

/** A replica claimed for deletion (state BEING_DELETED). */
export interface ReapedReplica {
  scope: string;
  name: string;
  bytes: number;
  path: string | null;
}

const EPOCH = '1970-01-01T00:00:00Z';

/** Free bytes of an RSE: what the storage reports, else MaxBytes less the catalogue's usage, else null. */
const FREE_SQL = (rseId: string): string => `coalesce(
  (SELECT u.free FROM rse_usage u WHERE u.rse_id = ${rseId} AND u.source = 'storage'),
  (SELECT l.value FROM rse_limits l WHERE l.rse_id = ${rseId} AND l.name = 'MaxBytes')
    - coalesce((SELECT u.used FROM rse_usage u WHERE u.rse_id = ${rseId} AND u.source = 'rucio'), 0))`;

/** Replicas that may go now: unlocked, tombstone passed, neither being written nor already being deleted. */
const REAPABLE = `r.lock_cnt = 0 AND r.tombstone <= now() AND r.state NOT IN ('C', 'B')`;

/**
 * Not the source a live transfer of the file needs: neither the source it chose nor, when it has none chosen,
 * the only AVAILABLE copy outside its destination that is not itself about to be reaped. A transfer stays live
 * until the finisher has taken it (DONE: the copy is not AVAILABLE yet; FAILED: it may be retried).
 */
const NOT_A_NEEDED_SOURCE = `NOT EXISTS (
  SELECT 1 FROM requests q
   WHERE q.scope = r.scope AND q.name = r.name AND q.state IN ('Q', 'S', 'W', 'D', 'F') AND q.dest_rse_id <> r.rse_id
     AND (q.source_rse_id = r.rse_id
          OR EXISTS (SELECT 1 FROM request_sources s WHERE s.request_id = q.id AND s.rse_id = r.rse_id AND s.is_using)
          OR (r.state = 'A' AND NOT EXISTS (
                SELECT 1 FROM replicas o
                 WHERE o.scope = r.scope AND o.name = r.name AND o.rse_id <> r.rse_id AND o.rse_id <> q.dest_rse_id
                   AND o.state = 'A' AND (o.lock_cnt > 0 OR o.tombstone IS NULL OR o.tombstone > now())))))`;

export const reaperRepository = {
  /**
   * RSEs (live, delete-available) with replicas to reap now, or with deletions left half done (BEING_DELETED
   * for longer than `graceSeconds`), with their space figures.
   */
  async reapableRses(manager: EntityManager, graceSeconds: number, rseIds: readonly string[] | null = null): Promise<ReapableRse[]> {
    const rows = await manager.query(
      `SELECT s.id, s.rse, s.deterministic,
              coalesce((SELECT lower(a.value #>> '{}') IN ('true', '1') FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'greedyDeletion'), false) AS greedy,
              (SELECT a.value #>> '{}' FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'lfn2pfn_algorithm') AS lfn2pfn,
              coalesce((SELECT l.value FROM rse_limits l WHERE l.rse_id = s.id AND l.name = 'MinFreeSpace'), 0) AS min_free,
              ${FREE_SQL('s.id')} AS free,
              (SELECT coalesce(json_agg(json_build_object('scheme', p.scheme, 'hostname', p.hostname, 'port', p.port, 'prefix', p.prefix,
                                                          'extendedAttributes', p.extended_attributes)
                                        ORDER BY least(nullif(p.delete_lan, 0), nullif(p.delete_wan, 0)), p.scheme), '[]')
                 FROM rse_protocols p WHERE p.rse_id = s.id AND (p.delete_wan > 0 OR p.delete_lan > 0)) AS protocols
         FROM rses s
        WHERE NOT s.deleted AND s.availability_delete AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))
          AND (EXISTS (SELECT 1 FROM replicas r WHERE r.rse_id = s.id AND ${REAPABLE})
               OR EXISTS (SELECT 1 FROM replicas r WHERE r.rse_id = s.id AND r.state = 'B' AND r.updated_at < now() - make_interval(secs => $1)))
        ORDER BY s.rse`,
      [graceSeconds, rseIds ? plainArray(rseIds) : null],
    );
    return rows.map(
      (r: { id: string; rse: string; deterministic: boolean; greedy: boolean; lfn2pfn: string | null; min_free: string; free: string | null; protocols: DeleteProtocol[] }) => ({
        id: r.id,
        rse: r.rse,
        deterministic: r.deterministic,
        greedy: r.greedy,
        lfn2pfnAlgorithm: r.lfn2pfn,
        minFreeSpace: Number(r.min_free),
        free: r.free === null ? null : Number(r.free),
        protocols: r.protocols,
      }),
    );
  },

  /** MinFreeSpace (0 when unset) and free bytes now (as in reapableRses; null when unknown). */
  async space(manager: EntityManager, rseId: string): Promise<{ minFreeSpace: number; free: number | null }> {
    const [row] = await manager.query(
      `SELECT coalesce((SELECT l.value FROM rse_limits l WHERE l.rse_id = $1 AND l.name = 'MinFreeSpace'), 0) AS min_free, ${FREE_SQL('$1')} AS free`,
      [rseId],
    );
    return { minFreeSpace: Number(row.min_free), free: row.free === null ? null : Number(row.free) };
  },

  /** Serialises claims on one RSE between reaper instances until the transaction ends (space arithmetic stays exact). */
  async lockRseForClaims(manager: EntityManager, rseId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('tarn-reaper'), hashtext($1))`, [rseId]);
  },

  /** Bytes of the RSE's replicas being deleted now (claimed, not yet freed). */
  async bytesBeingDeleted(manager: EntityManager, rseId: string): Promise<number> {
    const [row] = await manager.query(`SELECT coalesce(sum(bytes), 0) AS bytes FROM replicas WHERE rse_id = $1 AND state = 'B'`, [rseId]);
    return Number(row.bytes);
  },

  /** Takes over deletions left BEING_DELETED for longer than `graceSeconds` by a reaper that died or failed. */
  async claimAbandoned(manager: EntityManager, rseId: string, limit: number, graceSeconds: number): Promise<ReapedReplica[]> {
    const rows = await manager.query(
      `WITH c AS (
         SELECT r.scope, r.name FROM replicas r
          WHERE r.rse_id = $1 AND r.state = 'B' AND r.updated_at < now() - make_interval(secs => $3)
          ORDER BY r.updated_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED
       ), taken AS (
         UPDATE replicas r SET updated_at = now() FROM c
          WHERE r.scope = c.scope AND r.name = c.name AND ${PROBE_RSE_ID('r', '$1')}
         RETURNING r.scope, r.name, r.bytes, r.path
       )
       SELECT * FROM taken`,
      [rseId, limit, graceSeconds],
    );
    return rows.map(toReaped);
  },

  /**
   * Marks up to `limit` reapable replicas of the RSE BEING_DELETED in one statement, oldest tombstone first:
   * `needBytes` null takes every candidate (greedy RSE); otherwise epoch tombstones always, then others only
   * while the bytes taken before them are below `needBytes` (0: epoch tombstones only).
   * In the order of replicas_rse_tombstone_idx alone, so that the scan stops at `limit` candidates: ordering by name
   * as well would check and sort every replica sharing a tombstone (a whole dataset's, the epoch's) on each claim.
   */
  async claim(manager: EntityManager, rseId: string, limit: number, needBytes: number | null): Promise<ReapedReplica[]> {
    const rows = await manager.query(
      `WITH c AS (
         SELECT r.scope, r.name, r.bytes, r.tombstone FROM replicas r
          WHERE r.rse_id = $1 AND ${REAPABLE} AND ($3::bigint IS NULL OR $3::bigint > 0 OR r.tombstone = $4::timestamptz)
            AND ${NOT_A_NEEDED_SOURCE}
          ORDER BY r.tombstone LIMIT $2 FOR UPDATE OF r SKIP LOCKED
       ), picked AS (
         SELECT scope, name FROM (
           SELECT c.*, sum(c.bytes) OVER (ORDER BY c.tombstone, c.scope, c.name) - c.bytes AS before FROM c
         ) x WHERE $3::bigint IS NULL OR x.tombstone = $4::timestamptz OR x.before < $3::bigint
       ), claimed AS (
         UPDATE replicas r SET state = 'B', error = NULL, updated_at = now() FROM picked p
          WHERE r.scope = p.scope AND r.name = p.name AND ${PROBE_RSE_ID('r', '$1')}
         RETURNING r.scope, r.name, r.bytes, r.path
       )
       SELECT * FROM claimed`,
      [rseId, limit, needBytes, EPOCH],
    );
    return rows.map(toReaped);
  },

  /** Locks the claimed replicas still BEING_DELETED for the rest of the transaction; returns those it got. */
  async holdClaimed(manager: EntityManager, rseId: string, replicas: readonly ReapedReplica[]): Promise<Set<string>> {
    if (replicas.length === 0) return new Set();
    const rows = await manager.query(
      `SELECT r.scope, r.name FROM unnest($2::varchar[], $3::varchar[]) AS u(scope, name)
         JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE_ID('r', '$1')}
        WHERE r.state = 'B'
        ORDER BY r.scope, r.name FOR UPDATE OF r SKIP LOCKED`,
      [rseId, textArray(replicas.map((r) => r.scope)), textArray(replicas.map((r) => r.name))],
    );
    return new Set(rows.map((r: { scope: string; name: string }) => `${r.scope}:${r.name}`));
  },

  /**
   * Removes the rows of replicas deleted from storage (still BEING_DELETED) in one statement; the RSE's catalogue
   * usage shrinks and its storage-reported free space grows by what was freed. Returns the rows removed.
   */
  /**
   * Of these replicas about to be deleted from storage, those whose file another replica row of the RSE still
   * references: the same explicit path, or (deterministic RSEs) a file whose computed path is the same one
   * (`owners`: the files that path is computed for). Their files must stay.
   */
  async sharedFiles(
    manager: EntityManager,
    rseId: string,
    replicas: ReadonlyArray<{ scope: string; name: string; path: string; owners: ReadonlyArray<{ scope: string; name: string }> }>,
  ): Promise<Set<string>> {
    if (replicas.length === 0) return new Set();
    const owners = replicas.flatMap((r) => r.owners.map((o) => ({ scope: r.scope, name: r.name, ownerScope: o.scope, ownerName: o.name })));
    const rows = await manager.query(
      `SELECT u.scope, u.name FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(scope, name, path)
        WHERE EXISTS (SELECT 1 FROM replicas o WHERE o.rse_id = $1 AND o.path = u.path AND NOT (o.scope = u.scope AND o.name = u.name))
       UNION
       SELECT u.scope, u.name FROM unnest($5::varchar[], $6::varchar[], $7::varchar[], $8::varchar[]) AS u(scope, name, owner_scope, owner_name)
        WHERE NOT (u.owner_scope = u.scope AND u.owner_name = u.name)
          AND EXISTS (SELECT 1 FROM replicas o WHERE o.rse_id = $1 AND o.scope = u.owner_scope AND o.name = u.owner_name AND o.path IS NULL)`,
      [
        rseId,
        textArray(replicas.map((r) => r.scope)),
        textArray(replicas.map((r) => r.name)),
        textArray(replicas.map((r) => r.path)),
        textArray(owners.map((o) => o.scope)),
        textArray(owners.map((o) => o.name)),
        textArray(owners.map((o) => o.ownerScope)),
        textArray(owners.map((o) => o.ownerName)),
      ],
    );
    return new Set(rows.map((r: { scope: string; name: string }) => `${r.scope}:${r.name}`));
  },

  async removeDeleted(manager: EntityManager, rseId: string, replicas: readonly ReapedReplica[]): Promise<ReapedReplica[]> {
    if (replicas.length === 0) return [];
    const rows = await manager.query(
      `WITH gone AS (
         DELETE FROM replicas r USING unnest($2::varchar[], $3::varchar[]) AS u(scope, name)
          WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE_ID('r', '$1')} AND r.state = 'B'
         RETURNING r.scope, r.name, r.bytes, r.path
       ), total AS (
         SELECT count(*) AS files, coalesce(sum(bytes), 0) AS bytes FROM gone
       ), catalogue AS (
         UPDATE rse_usage u SET used = greatest(u.used - t.bytes, 0), files = greatest(u.files - t.files, 0), updated_at = now()
           FROM total t WHERE u.rse_id = $1 AND u.source = 'rucio' AND t.files > 0
       ), storage AS (
         UPDATE rse_usage u SET free = u.free + t.bytes, used = greatest(u.used - t.bytes, 0), updated_at = now()
           FROM total t WHERE u.rse_id = $1 AND u.source = 'storage' AND u.free IS NOT NULL AND t.files > 0
       )
       SELECT * FROM gone`,
      [rseId, textArray(replicas.map((r) => r.scope)), textArray(replicas.map((r) => r.name))],
    );
    return rows.map(toReaped);
  },

  /** Deletions that failed stay BEING_DELETED with their error; they are retried once `graceSeconds` have passed. */
  async recordFailures(manager: EntityManager, rseId: string, failures: ReadonlyArray<{ scope: string; name: string; error: string }>): Promise<void> {
    if (failures.length === 0) return;
    await manager.query(
      `UPDATE replicas r SET error = left(u.error, 4000), updated_at = now()
         FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(scope, name, error)
        WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE_ID('r', '$1')} AND r.state = 'B'`,
      [rseId, textArray(failures.map((f) => f.scope)), textArray(failures.map((f) => f.name)), textArray(failures.map((f) => f.error))],
    );
  },
};

function toReaped(r: { scope: string; name: string; bytes: string; path: string | null }): ReapedReplica {
  return { scope: r.scope, name: r.name, bytes: Number(r.bytes), path: r.path };
}
