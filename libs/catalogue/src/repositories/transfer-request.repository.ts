import { EntityManager } from 'typeorm';
import { plainArray, textArray } from './replica.repository.js';
import { readConfigSection } from './config.repository.js';

/** A throttler limit from the configs table: at most `maxActive` SUBMITTED transfers to `rse` (per activity). */
export interface ThrottleLimit {
  rse: string;
  /** null: every activity on that RSE (each activity gets this limit). */
  activity: string | null;
  maxActive: number;
}

export interface ClaimQueuedOptions {
  /** Requests submitted per batch at most. */
  batchSize: number;
  /** Requests looked at per (destination, activity, account) per batch: the depth of the round-robin. */
  perAccount: number;
  /** Active transfers per destination RSE and activity when no limit names them. */
  defaultMaxActive: number;
  limits: readonly ThrottleLimit[];
}

/** A QUEUED request admitted by the throttler, locked FOR UPDATE until the submitter's transaction ends. */
export interface AdmittedRequest {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  /** The rule's source_replica_expression, when it has one. */
  sourceExpression: string | null;
}

/** A request the submitter handed to a transfer tool, with its chosen source. */
export interface SubmittedRequest {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  sourceRseId: string;
}

export interface UnsourcedRequest {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  error: string;
}

/** A SUBMITTED request taken by a transfer worker under a lease. */
export interface LeasedTransfer {
  id: string;
  /** The attempt's token (requests.external_id): only its holder may report the outcome. */
  token: string;
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  destRseId: string;
  sourceRseId: string;
  /** The source replica's stored path (non-deterministic RSEs), else null. */
  sourcePath: string | null;
  attempt: number;
}

/** What a transfer tool reports for one attempt. */
export interface TransferReport {
  id: string;
  token: string;
  ok: boolean;
  error: string | null;
  adler32: string | null;
  md5: string | null;
  /** The destination path (relative to the protocol prefix) or URL. */
  destUrl: string | null;
  /** How the bytes went (third-party or streamed), when a copy was made or tried. */
  copyMethod: string | null;
  /** Why that way, through which protocols, after which failed ones. */
  copyReason: string | null;
}

/** The RSEs of a batch: what paths and storage access need. */
export interface TransferRse {
  id: string;
  rse: string;
  deterministic: boolean;
  availabilityRead: boolean;
  availabilityWrite: boolean;
  lfn2pfnAlgorithm: string | null;
  protocols: Array<{
    scheme: string;
    hostname: string;
    port: number;
    prefix: string;
    readWan: number;
    writeWan: number;
    thirdPartyCopyRead: number;
    thirdPartyCopyWrite: number;
    extendedAttributes: Record<string, unknown> | null;
  }>;
}

/**
 * The (destination, activity, account) groups of QUEUED and WAITING transfer requests, one index probe per group
 * along requests_queued_pick_idx (a loose index scan) instead of reading the whole backlog: a night's backlog is
 * tens of thousands of requests in a handful of groups. (Some groups found may have nothing due yet: their
 * requests wait for retry_after; the claim filters those.) Used as a recursive WITH item.
 */
const QUEUED_GROUPS = `queued_groups(dest_rse_id, activity, account) AS (
              (SELECT q.dest_rse_id, q.activity, coalesce(q.account, '') FROM requests q
                WHERE q.state IN ('Q', 'W') AND q.request_type = 'T'
                ORDER BY q.dest_rse_id, q.activity, coalesce(q.account, '') LIMIT 1)
              UNION ALL
              SELECT n.* FROM queued_groups g CROSS JOIN LATERAL (
                SELECT q.dest_rse_id, q.activity, coalesce(q.account, '') FROM requests q
                 WHERE q.state IN ('Q', 'W') AND q.request_type = 'T'
                   AND (q.dest_rse_id, q.activity, coalesce(q.account, '')) > (g.dest_rse_id, g.activity, g.account)
                 ORDER BY q.dest_rse_id, q.activity, coalesce(q.account, '') LIMIT 1) n
            )`;

/** SQL of the transfer submitter and of the built-in transfer tool (requests from QUEUED to DONE/FAILED). */
export const transferRequestRepository = {
  /**
   * Claims QUEUED transfer requests due now (retry_after passed), FOR UPDATE SKIP LOCKED so that submitters
   * share them, and admits as many as the throttler allows: per destination RSE and activity at most
   * `maxActive` SUBMITTED at once, taken round-robin across accounts (each account's oldest, highest priority
   * first), so one account's flood does not starve another. Requests not admitted stay QUEUED.
   */
  async claimQueued(manager: EntityManager, options: ClaimQueuedOptions): Promise<AdmittedRequest[]> {
    const rows = await manager.query(
      `WITH RECURSIVE lim AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int[]) AS l(rse, activity, max_active)),
            ${QUEUED_GROUPS},
            groups AS MATERIALIZED (SELECT * FROM queued_groups),
            -- Free slots per (destination, activity), counted once each before anything is claimed.
            free AS MATERIALIZED (
              SELECT d.dest_rse_id, d.activity,
                     coalesce((SELECT l.max_active FROM lim l JOIN rses s ON s.rse = l.rse WHERE s.id = d.dest_rse_id AND l.activity = d.activity),
                              (SELECT l.max_active FROM lim l JOIN rses s ON s.rse = l.rse WHERE s.id = d.dest_rse_id AND l.activity IS NULL),
                              $5)
                     - (SELECT count(*) FROM requests a WHERE a.state = 'S' AND a.dest_rse_id = d.dest_rse_id AND a.activity = d.activity) AS slots
                FROM (SELECT DISTINCT dest_rse_id, activity FROM groups) d
            ),
            -- Each account's first requests of a group, no more than the group's free slots: the claim locks what
            -- it may admit, in the order of requests_queued_pick_idx, not the whole backlog each pass (the account
            -- coalesced as in the index).
            picked AS (
              SELECT p.* FROM groups g JOIN free f ON f.dest_rse_id = g.dest_rse_id AND f.activity = g.activity AND f.slots > 0
              CROSS JOIN LATERAL (
                SELECT q.id, q.scope, q.name, q.dest_rse_id, q.activity, q.account, q.priority, q.requested_at,
                       q.attributes ->> 'source_replica_expression' AS source_expression
                  FROM requests q
                 WHERE q.state IN ('Q', 'W') AND q.request_type = 'T' AND q.dest_rse_id = g.dest_rse_id AND q.activity = g.activity
                   AND coalesce(q.account, '') = g.account AND (q.retry_after IS NULL OR q.retry_after <= now())
                 ORDER BY q.priority DESC, q.requested_at, q.id
                 LIMIT least($4, f.slots) FOR UPDATE SKIP LOCKED) p
            ),
            turns AS (
              SELECT p.*, row_number() OVER (PARTITION BY p.dest_rse_id, p.activity, p.account ORDER BY p.priority DESC, p.requested_at, p.id) AS turn
                FROM picked p
            ),
            ordered AS (
              SELECT t.*, row_number() OVER (PARTITION BY t.dest_rse_id, t.activity ORDER BY t.turn, t.priority DESC, t.requested_at, t.id) AS pos
                FROM turns t
            )
       SELECT o.id, o.scope, o.name, o.dest_rse_id, o.source_expression
         FROM ordered o JOIN free f ON f.dest_rse_id = o.dest_rse_id AND f.activity = o.activity
        WHERE o.pos <= f.slots
        ORDER BY o.turn, o.priority DESC, o.requested_at, o.id
        LIMIT $6`,
      [
        textArray(options.limits.map((l) => l.rse)),
        textArray(options.limits.map((l) => l.activity)),
        plainArray(options.limits.map((l) => l.maxActive)),
        options.perAccount,
        options.defaultMaxActive,
        options.batchSize,
      ],
    );
    return rows.map((r: { id: string; scope: string; name: string; dest_rse_id: string; source_expression: string | null }) => ({
      id: r.id,
      scope: r.scope,
      name: r.name,
      destRseId: r.dest_rse_id,
      sourceExpression: r.source_expression,
    }));
  },

  /**
   * QUEUED requests due now whose destination and activity have no throttler slot left (as many SUBMITTED as the
   * limit allows) become WAITING, with the limit that holds them in err_msg; the submitter admits them from there
   * once slots free up. Rows another submitter holds are skipped. Returns the requests that became WAITING.
   */
  async markThrottled(manager: EntityManager, options: Pick<ClaimQueuedOptions, 'defaultMaxActive' | 'limits'>): Promise<Array<{ scope: string; name: string; rseId: string }>> {
    const rows = await manager.query(
      `WITH RECURSIVE lim AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int[]) AS l(rse, activity, max_active)),
            ${QUEUED_GROUPS},
            groups AS MATERIALIZED (SELECT DISTINCT dest_rse_id, activity FROM queued_groups),
            limits AS MATERIALIZED (
              SELECT g.dest_rse_id, g.activity, s.rse, m.max_active, m.opt,
                     (SELECT count(*) FROM requests a WHERE a.state = 'S' AND a.dest_rse_id = g.dest_rse_id AND a.activity = g.activity) AS active
                FROM groups g JOIN rses s ON s.id = g.dest_rse_id
                CROSS JOIN LATERAL (
                  SELECT x.max_active, x.opt FROM (
                    SELECT l.max_active, l.rse || '/' || l.activity AS opt, 1 AS rank FROM lim l WHERE l.rse = s.rse AND l.activity = g.activity
                    UNION ALL SELECT l.max_active, l.rse, 2 FROM lim l WHERE l.rse = s.rse AND l.activity IS NULL
                    UNION ALL SELECT $4::int, 'default', 3) x
                   ORDER BY x.rank LIMIT 1) m
            ),
            -- The QUEUED requests of full groups, through requests_state_dest_idx: request_type as text keeps
            -- the planner off requests_queued_pick_idx, which would read every WAITING request of the group too.
            held AS (
              SELECT q.id, f.rse, f.activity, f.max_active, f.opt FROM limits f
                JOIN requests q ON q.dest_rse_id = f.dest_rse_id AND q.activity = f.activity
               WHERE f.active >= f.max_active AND q.state = 'Q' AND q.request_type::text = 'T' AND (q.retry_after IS NULL OR q.retry_after <= now())
               FOR UPDATE OF q SKIP LOCKED
            )
       UPDATE requests q
          SET state = 'W', updated_at = now(),
              err_msg = 'throttled: at most ' || h.max_active || ' transfer(s) at once into ' || h.rse || ' for activity ''' || h.activity
                        || ''' (configs throttler/' || h.opt || '); waiting for a slot'
         FROM held h WHERE q.id = h.id
       RETURNING q.scope, q.name, q.dest_rse_id`,
      [textArray(options.limits.map((l) => l.rse)), textArray(options.limits.map((l) => l.activity)), plainArray(options.limits.map((l) => l.maxActive)), options.defaultMaxActive],
    );
    return (rows[0] as Array<{ scope: string; name: string; dest_rse_id: string }>).map((r) => ({ scope: r.scope, name: r.name, rseId: r.dest_rse_id }));
  },

  /**
   * Ranks the sources of these (claimed) requests and submits them, in one statement after clearing their old
   * sources: AVAILABLE replicas on live RSEs readable now (availability_read) through a protocol of `schemes`,
   * best first by failures of this very transfer from that source (a source that failed it comes last, and is
   * used only when it is the only one), distance (unknown: 100), the link's failures over the last hour, and
   * the protocol's read priority. Every candidate goes to request_sources (ranking: higher is better, the chosen
   * one is_using); requests with a source become SUBMITTED to `tool`, the others NO_SOURCES with why.
   * `restrictions` (request id, RSE id) pairs bound the sources of requests with a source_replica_expression.
   */
  async submitWithSources(
    manager: EntityManager,
    requestIds: readonly string[],
    restrictions: ReadonlyArray<{ requestId: string; rseId: string }>,
    schemes: readonly string[],
    tool: string,
  ): Promise<{ submitted: SubmittedRequest[]; unsourced: UnsourcedRequest[] }> {
    if (requestIds.length === 0) return { submitted: [], unsourced: [] };
    const ids = plainArray(requestIds);
    await manager.query(`DELETE FROM request_sources WHERE request_id = ANY($1::uuid[])`, [ids]);
    const rows = await manager.query(
      // The batch's requests probed by id (OFFSET 0 keeps the probe: without statistics the planner read the whole
      // table for an id list) and written back by tuple id (they are locked by this transaction since their claim).
      `WITH req AS (SELECT q.id, q.tid, q.scope, q.name, q.dest_rse_id, coalesce(q.attributes ? 'source_replica_expression', false) AS restricted
                      FROM unnest($1::uuid[]) AS k(id)
                      CROSS JOIN LATERAL (SELECT q.id, q.ctid AS tid, q.scope, q.name, q.dest_rse_id, q.attributes FROM requests q WHERE q.id = k.id OFFSET 0) q),
            restr AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS x(request_id, rse_id)),
            -- A link's failures over the last hour, counted once per link of the batch rather than once per candidate.
            link_failures AS MATERIALIZED (
              SELECT h.source_rse_id AS src, h.dest_rse_id AS dst, count(*) AS failures
                FROM requests_history h
               WHERE h.state = 'F' AND h.updated_at > now() - interval '1 hour'
                 AND h.dest_rse_id IN (SELECT DISTINCT q.dest_rse_id FROM req q)
               GROUP BY h.source_rse_id, h.dest_rse_id
            ),
            -- Each transfer's own failures over the last day, per source, for the whole batch at once.
            own_failures AS MATERIALIZED (
              SELECT h.scope, h.name, h.dest_rse_id AS dst, h.source_rse_id AS src, count(*) AS failures
                FROM req q
                JOIN requests_history h ON h.scope = q.scope AND h.name = q.name AND h.dest_rse_id = q.dest_rse_id
               WHERE h.state = 'F' AND h.updated_at > now() - interval '1 day'
               GROUP BY h.scope, h.name, h.dest_rse_id, h.source_rse_id
            ),
            cand AS (
              SELECT q.id AS request_id, r.rse_id, q.scope, q.name, q.dest_rse_id, r.path, r.bytes,
                     coalesce(d.distance, 100) AS distance,
                     coalesce(f.failures, 0) AS own_failures,
                     coalesce(lf.failures, 0) AS link_failures,
                     (SELECT min(p.read_wan) FROM rse_protocols p WHERE p.rse_id = r.rse_id AND p.read_wan > 0 AND lower(p.scheme) = ANY($4::varchar[])) AS protocol_priority
                FROM req q
                -- Each request's replicas probed by (scope, name) (OFFSET 0 keeps the probe, and state as text keeps
                -- it off replicas_state_idx): a young catalogue's statistics would otherwise read every AVAILABLE replica.
                CROSS JOIN LATERAL (
                  SELECT r.rse_id, r.path, r.bytes FROM replicas r
                   WHERE r.scope = q.scope AND r.name = q.name AND r.rse_id <> q.dest_rse_id AND r.state::text = 'A' OFFSET 0
                ) r
                JOIN rses s ON s.id = r.rse_id AND NOT s.deleted AND s.availability_read
                LEFT JOIN distances d ON d.src_rse_id = r.rse_id AND d.dest_rse_id = q.dest_rse_id
                LEFT JOIN link_failures lf ON lf.src = r.rse_id AND lf.dst = q.dest_rse_id
                LEFT JOIN own_failures f ON f.scope = q.scope AND f.name = q.name AND f.dst = q.dest_rse_id AND f.src = r.rse_id
               WHERE NOT q.restricted OR EXISTS (SELECT 1 FROM restr x WHERE x.request_id = q.id AND x.rse_id = r.rse_id)
            ),
            ranked AS (
              SELECT c.*, row_number() OVER (PARTITION BY c.request_id
                                             ORDER BY c.own_failures, c.distance, c.link_failures, c.protocol_priority, c.rse_id) AS pos,
                          count(*) OVER (PARTITION BY c.request_id) AS n
                FROM cand c WHERE c.protocol_priority IS NOT NULL
            ),
            sources AS (
              INSERT INTO request_sources (request_id, rse_id, scope, name, dest_rse_id, url, bytes, ranking, is_using)
              SELECT request_id, rse_id, scope, name, dest_rse_id, path, bytes, n - pos, pos = 1 FROM ranked
            ),
            submitted AS (
              UPDATE requests q
                 SET state = 'S', source_rse_id = b.rse_id, transfertool = $5, submitted_at = now(), started_at = NULL,
                     err_msg = CASE WHEN q.state = 'W' THEN NULL ELSE q.err_msg END,
                     transferred_at = NULL, external_id = NULL, external_host = NULL, retry_after = NULL,
                     copy_method = NULL, copy_method_reason = NULL, updated_at = now()
                FROM ranked b WHERE b.pos = 1 AND q.id = b.request_id
              RETURNING q.id, q.scope, q.name, q.dest_rse_id, q.source_rse_id, 'S' AS state, q.retry_count, q.err_msg
            ),
            unsourced AS (
              UPDATE requests q
                 SET state = '0', source_rse_id = NULL, updated_at = now(),
                     err_msg = 'no source: no AVAILABLE replica of ' || q.scope || ':' || q.name ||
                               ' on an RSE that is readable (availability_read) through a protocol Tarn can copy from ('
                               || array_to_string($4::varchar[], ', ') || ')'
                               || CASE WHEN r.restricted THEN ' and matches the rule''s source_replica_expression' ELSE '' END
                               -- (state as text: probed by (scope, name), not through replicas_state_idx filtering every COPYING replica)
                               || coalesce('; the replica on ' || (SELECT string_agg(s.rse, ', ' ORDER BY s.rse) FROM replicas c JOIN rses s ON s.id = c.rse_id
                                                                    WHERE c.scope = q.scope AND c.name = q.name AND c.rse_id <> q.dest_rse_id AND c.state::text = 'C')
                                           || ' is not AVAILABLE yet (being uploaded, copied or verified): the copy starts once it is', '')
                FROM req r WHERE q.ctid = ANY(ARRAY(SELECT tid FROM req)) AND q.ctid = r.tid AND NOT EXISTS (SELECT 1 FROM ranked b WHERE b.request_id = r.id)
              RETURNING q.id, q.scope, q.name, q.dest_rse_id, NULL::uuid AS source_rse_id, '0' AS state, q.retry_count, q.err_msg
            )
       SELECT * FROM submitted UNION ALL SELECT * FROM unsourced`,
      [
        ids,
        plainArray(restrictions.map((r) => r.requestId)),
        plainArray(restrictions.map((r) => r.rseId)),
        textArray(schemes.map((s) => s.toLowerCase())),
        tool,
      ],
    );
    type Row = { id: string; scope: string; name: string; dest_rse_id: string; source_rse_id: string | null; state: string; retry_count: number; err_msg: string | null };
    const submitted: SubmittedRequest[] = [];
    const unsourced: UnsourcedRequest[] = [];
    for (const r of rows as Row[]) {
      if (r.state === 'S') submitted.push({ id: r.id, scope: r.scope, name: r.name, destRseId: r.dest_rse_id, sourceRseId: r.source_rse_id! });
      else unsourced.push({ id: r.id, scope: r.scope, name: r.name, destRseId: r.dest_rse_id, attempt: Number(r.retry_count) + 1, error: r.err_msg ?? 'no source' });
    }
    return { submitted, unsourced };
  },

  /**
   * Leases up to `limit` SUBMITTED requests of `tool` that nobody holds (never taken, or their holder's lease
   * ran out: it died), FOR UPDATE SKIP LOCKED. Each gets a fresh attempt token (external_id), the holder
   * (external_host) and a lease (retry_after = now + leaseSeconds) that the holder renews while it copies.
   * `exceptDestinations`: destination RSEs the holder has enough of already.
   */
  async lease(
    manager: EntityManager,
    tool: string,
    holder: string,
    leaseSeconds: number,
    limit: number,
    exceptDestinations: readonly string[] = [],
  ): Promise<LeasedTransfer[]> {
    const rows = await manager.query(
      `WITH due AS (
         SELECT id FROM requests
          WHERE state = 'S' AND transfertool = $1 AND (retry_after IS NULL OR retry_after <= now())
            AND NOT (dest_rse_id = ANY($5::uuid[]))
          ORDER BY priority DESC, submitted_at, id
          LIMIT $4 FOR UPDATE SKIP LOCKED
       )
       UPDATE requests q
          SET external_id = gen_random_uuid()::text, external_host = $2, started_at = now(),
              retry_after = now() + make_interval(secs => $3::float8), updated_at = now()
         FROM due WHERE q.id = due.id
       RETURNING q.id, q.external_id, q.scope, q.name, q.bytes, q.adler32, q.md5, q.dest_rse_id, q.source_rse_id, q.retry_count,
                 (SELECT r.path FROM replicas r WHERE r.scope = q.scope AND r.name = q.name AND r.rse_id = q.source_rse_id) AS source_path`,
      [tool, holder, leaseSeconds, limit, plainArray(exceptDestinations)],
    );
    type Row = {
      id: string; external_id: string; scope: string; name: string; bytes: string | null; adler32: string | null; md5: string | null;
      dest_rse_id: string; source_rse_id: string; retry_count: number; source_path: string | null;
    };
    return (rows[0] as Row[]).map((r) => ({
      id: r.id,
      token: r.external_id,
      scope: r.scope,
      name: r.name,
      bytes: Number(r.bytes ?? 0),
      adler32: r.adler32,
      md5: r.md5,
      destRseId: r.dest_rse_id,
      sourceRseId: r.source_rse_id,
      sourcePath: r.source_path,
      attempt: Number(r.retry_count) + 1,
    }));
  },

  /** Extends the leases of attempts still in progress; returns the tokens still held. */
  async renewLeases(manager: EntityManager, tokens: readonly string[], leaseSeconds: number): Promise<string[]> {
    if (tokens.length === 0) return [];
    const [rows] = await manager.query(
      `UPDATE requests SET retry_after = now() + make_interval(secs => $2::float8)
        WHERE external_id = ANY($1::varchar[]) AND state = 'S' RETURNING external_id`,
      [textArray(tokens), leaseSeconds],
    );
    return rows.map((r: { external_id: string }) => r.external_id);
  },

  /**
   * Records the outcome of attempts: DONE (with the checksums computed on the way, where the request had none)
   * or FAILED with the reason. Only the current holder's report counts (state SUBMITTED, same token); returns
   * the ids that were recorded.
   */
  async report(manager: EntityManager, reports: readonly TransferReport[]): Promise<Set<string>> {
    if (reports.length === 0) return new Set();
    const [rows] = await manager.query(
      `UPDATE requests q
          SET state = u.state::requests_state_enum, err_msg = u.err, transferred_at = now(), retry_after = NULL,
              adler32 = coalesce(q.adler32, u.adler32), md5 = coalesce(q.md5, u.md5), dest_url = coalesce(u.dest_url, q.dest_url),
              copy_method = u.copy_method, copy_method_reason = u.copy_reason, updated_at = now()
         FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[])
              AS u(id, token, state, err, adler32, md5, dest_url, copy_method, copy_reason)
        WHERE q.id = u.id AND q.external_id = u.token AND q.state = 'S'
       RETURNING q.id`,
      [
        plainArray(reports.map((r) => r.id)),
        textArray(reports.map((r) => r.token)),
        textArray(reports.map((r) => (r.ok ? 'D' : 'F'))),
        textArray(reports.map((r) => (r.error === null ? null : r.error.slice(0, 4000)))),
        textArray(reports.map((r) => r.adler32)),
        textArray(reports.map((r) => r.md5)),
        textArray(reports.map((r) => (r.destUrl === null ? null : r.destUrl.slice(0, 2048)))),
        textArray(reports.map((r) => r.copyMethod)),
        textArray(reports.map((r) => (r.copyReason === null ? null : r.copyReason.slice(0, 2000)))),
      ],
    );
    return new Set(rows.map((r: { id: string }) => r.id));
  },

  /**
   * Of these (scope, name, destination) keys, those no transfer request and no AVAILABLE replica claims any
   * more: a file written there belongs to nobody (its request was cancelled) and may be removed.
   */
  async unclaimedDestinations(
    manager: EntityManager,
    keys: ReadonlyArray<{ scope: string; name: string; rseId: string }>,
  ): Promise<Array<{ scope: string; name: string; rseId: string }>> {
    if (keys.length === 0) return [];
    const rows = await manager.query(
      `SELECT u.scope, u.name, u.rse_id FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
        WHERE NOT EXISTS (SELECT 1 FROM requests q WHERE q.scope = u.scope AND q.name = u.name AND q.dest_rse_id = u.rse_id AND q.request_type = 'T')
          AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id AND r.state = 'A')`,
      [textArray(keys.map((k) => k.scope)), textArray(keys.map((k) => k.name)), plainArray(keys.map((k) => k.rseId))],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
  },

  /** Live RSEs by id, with all their protocols (credentials in extended attributes included). */
  async rses(manager: EntityManager, ids: readonly string[]): Promise<Map<string, TransferRse>> {
    if (ids.length === 0) return new Map();
    const rows = await manager.query(
      `SELECT s.id, s.rse, s.deterministic, s.availability_read, s.availability_write,
              (SELECT a.value #>> '{}' FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'lfn2pfn_algorithm') AS lfn2pfn,
              coalesce((SELECT json_agg(json_build_object('scheme', p.scheme, 'hostname', p.hostname, 'port', p.port, 'prefix', p.prefix,
                                'readWan', p.read_wan, 'writeWan', p.write_wan, 'thirdPartyCopyRead', p.third_party_copy_read,
                                'thirdPartyCopyWrite', p.third_party_copy_write, 'extendedAttributes', p.extended_attributes))
                          FROM rse_protocols p WHERE p.rse_id = s.id), '[]') AS protocols
         FROM rses s WHERE s.id = ANY($1::uuid[]) AND NOT s.deleted`,
      [plainArray([...new Set(ids)])],
    );
    type Row = { id: string; rse: string; deterministic: boolean; availability_read: boolean; availability_write: boolean; lfn2pfn: string | null; protocols: TransferRse['protocols'] };
    return new Map(
      (rows as Row[]).map((r) => [
        r.id,
        {
          id: r.id,
          rse: r.rse,
          deterministic: r.deterministic,
          availabilityRead: r.availability_read,
          availabilityWrite: r.availability_write,
          lfn2pfnAlgorithm: r.lfn2pfn,
          protocols: r.protocols,
        },
      ]),
    );
  },

  /** configs rows of a section, as opt -> value. */
  configSection: readConfigSection,
};
