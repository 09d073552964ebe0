import { EntityManager } from 'typeorm';
import { inStatements } from '../database/bulk-statements.js';

/** A client trace to apply: a file read (from an RSE, as part of a dataset), when, and by which account if known. */
export interface NewTrace {
  scope: string;
  name: string;
  rse: string | null;
  datasetScope: string | null;
  datasetName: string | null;
  eventType: string;
  account: string | null;
  accessedAt: Date;
}

/** What one batch of traces changed. */
export interface AppliedTraces {
  traces: number;
  replicas: number;
  dids: number;
  extended: number;
}

export const traceRepository = {
  /** Queues traces for the kronos daemon; set-based. */
  async insert(manager: EntityManager, traces: readonly NewTrace[]): Promise<void> {
    await inStatements(traces, async (slice) => {
      await manager.query(
        `INSERT INTO traces (scope, name, rse, dataset_scope, dataset_name, event_type, account, accessed_at)
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::timestamptz[])`,
        [
          slice.map((t) => t.scope),
          slice.map((t) => t.name),
          slice.map((t) => t.rse),
          slice.map((t) => t.datasetScope),
          slice.map((t) => t.datasetName),
          slice.map((t) => t.eventType),
          slice.map((t) => t.account),
          slice.map((t) => t.accessedAt),
        ],
      );
    });
  },

  /** Traces waiting, read cheaply (the planner's estimate once the table is large, the exact count while small). */
  async queued(manager: EntityManager): Promise<number> {
    const [{ estimate }] = await manager.query(`SELECT reltuples::bigint AS estimate FROM pg_class WHERE oid = 'traces'::regclass`);
    if (Number(estimate) > 100_000) return Number(estimate);
    const [{ n }] = await manager.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM traces LIMIT 100001) t`);
    return n;
  },

  /**
   * Takes up to `limit` traces (oldest first; other instances skip them) and applies them in one statement: each replica
   * read gets its accessed_at (the latest read), access_cnt and, if unlocked and tombstoned, a tombstone that follows its
   * last access, so that the reaper deletes the least recently used first; each file and dataset read its accessed_at and
   * access_cnt. With `extendDays` > 0, a DID read by an authenticated account that would expire within that many days
   * is given that many days from now (restricted scopes excepted). Rows are locked in key order.
   */
  async applyBatch(manager: EntityManager, limit: number, extendDays: number): Promise<AppliedTraces> {
    const [row] = await manager.query(
      `WITH batch AS (
         DELETE FROM traces WHERE id IN (SELECT id FROM traces ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING scope, name, rse, dataset_scope, dataset_name, account, least(accessed_at, now()) AS at
       ),
       replica_reads AS (
         SELECT b.scope, b.name, s.id AS rse_id, max(b.at) AS at, count(*)::int AS n
           FROM batch b JOIN rses s ON s.rse = b.rse AND NOT s.deleted
          GROUP BY b.scope, b.name, s.id
       ),
       replica_rows AS (
         SELECT r.scope, r.name, r.rse_id FROM replicas r JOIN replica_reads u ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
          ORDER BY r.scope, r.name, r.rse_id FOR UPDATE OF r
       ),
       touched_replicas AS (
         UPDATE replicas r
            SET accessed_at = GREATEST(coalesce(r.accessed_at, u.at), u.at), access_cnt = r.access_cnt + u.n,
                tombstone = CASE WHEN r.tombstone IS NULL OR r.tombstone = 'epoch'::timestamptz OR r.lock_cnt > 0 THEN r.tombstone
                                 ELSE GREATEST(coalesce(r.accessed_at, u.at), u.at) END
           FROM replica_reads u, (SELECT count(*) FROM replica_rows) locked
          WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
         RETURNING 1
       ),
       did_reads AS (
         SELECT scope, name, max(at) AS at, count(*)::int AS n, bool_or(account IS NOT NULL) AS by_account
           FROM (SELECT scope, name, at, account FROM batch
                 UNION ALL
                 SELECT dataset_scope, dataset_name, at, account FROM batch WHERE dataset_scope IS NOT NULL AND dataset_name IS NOT NULL) x
          GROUP BY scope, name
       ),
       did_rows AS (
         SELECT d.scope, d.name FROM dids d JOIN did_reads u ON d.scope = u.scope AND d.name = u.name
          ORDER BY d.scope, d.name FOR UPDATE OF d
       ),
       touched_dids AS (
         UPDATE dids d
            SET accessed_at = GREATEST(coalesce(d.accessed_at, u.at), u.at), access_cnt = d.access_cnt + u.n,
                expired_at = CASE
                  WHEN $2::int > 0 AND u.by_account AND d.expired_at IS NOT NULL AND d.expired_at < now() + make_interval(days => $2::int)
                       AND NOT EXISTS (SELECT 1 FROM scopes sc WHERE sc.scope = d.scope AND sc.restricted)
                  THEN now() + make_interval(days => $2::int) ELSE d.expired_at END
           FROM did_reads u, (SELECT count(*) FROM did_rows) locked
          WHERE d.scope = u.scope AND d.name = u.name
         RETURNING ($2::int > 0 AND d.expired_at = now() + make_interval(days => $2::int)) AS extended
       )
       SELECT (SELECT count(*) FROM batch)::int AS traces, (SELECT count(*) FROM touched_replicas)::int AS replicas,
              (SELECT count(*) FROM touched_dids)::int AS dids, (SELECT count(*) FROM touched_dids WHERE extended)::int AS extended`,
      [limit, extendDays],
    );
    return row as AppliedTraces;
  },
};
