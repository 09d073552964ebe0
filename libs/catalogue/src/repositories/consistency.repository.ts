import { EntityManager } from 'typeorm';
import { plainArray, PROBE_RSE_ID, textArray } from './replica.repository.js';

/** An RSE the consistency checker can audit, with the protocol it lists and deletes through. */
export interface AuditableRse {
  id: string;
  rse: string;
  deterministic: boolean;
  lfn2pfnAlgorithm: string | null;
  /** availability_delete: dark files are only deleted from an RSE available for deletion. */
  deletable: boolean;
  /** Best delete protocol, else best read protocol; null when the RSE has none. */
  protocol: { scheme: string; hostname: string; port: number; prefix: string; extendedAttributes: Record<string, unknown> | null } | null;
  lastRunAt: Date | null;
}

/** A file of the storage listing, with the DIDs whose deterministic path it is (none on non-deterministic RSEs). */
export interface ListedFile {
  path: string;
  bytes: number;
  mtime: Date;
  dids: ReadonlyArray<{ scope: string; name: string }>;
}

export interface MissingReplica {
  scope: string;
  name: string;
  bytes: number;
  /** Stored path (non-deterministic RSEs, or a deterministic replica registered with a path); null: lfn2pfn. */
  path: string | null;
}

export interface RunCounts {
  listed: number;
  dark: number;
  missing: number;
  quarantined: number;
  deleted: number;
}

/** Session-level temporary tables of one audit: they live on the audit's own connection only. */
const FILES = 'tarn_audit_files';
const DIDS = 'tarn_audit_dids';
const DARK = 'tarn_audit_dark';
const MISSING = 'tarn_audit_missing';

/** A listed path the catalogue knows on this RSE ($1 = rse id): a replica stored at it, or one of its DIDs' lfn2pfn path. */
const KNOWN_PATH = (path: string): string => `(
  EXISTS (SELECT 1 FROM replicas r WHERE r.rse_id = $1 AND r.path = ${path})
  OR EXISTS (SELECT 1 FROM ${DIDS} d JOIN replicas r ON r.scope = d.scope AND r.name = d.name AND ${PROBE_RSE_ID('r', '$1')} AND r.path IS NULL
              WHERE d.path = ${path}))`;

export const consistencyRepository = {
  /**
   * Live RSEs with a protocol, due for an audit (no run started within `intervalHours`) unless `force`,
   * optionally only `rseNames`; never audited first, then the least recently audited.
   */
  async auditableRses(manager: EntityManager, intervalHours: number, rseNames: readonly string[] | null, force: boolean): Promise<AuditableRse[]> {
    const rows = await manager.query(
      `SELECT s.id, s.rse, s.deterministic, s.availability_delete AS deletable,
              (SELECT a.value #>> '{}' FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'lfn2pfn_algorithm') AS lfn2pfn,
              (SELECT json_build_object('scheme', p.scheme, 'hostname', p.hostname, 'port', p.port, 'prefix', p.prefix,
                                        'extendedAttributes', p.extended_attributes)
                 FROM rse_protocols p WHERE p.rse_id = s.id
                ORDER BY (p.delete_wan > 0 OR p.delete_lan > 0) DESC,
                         least(nullif(p.delete_lan, 0), nullif(p.delete_wan, 0)), least(nullif(p.read_lan, 0), nullif(p.read_wan, 0)), p.scheme
                LIMIT 1) AS protocol,
              (SELECT max(c.started_at) FROM consistency_runs c WHERE c.rse_id = s.id) AS last_run
         FROM rses s
        WHERE NOT s.deleted AND ($2::varchar[] IS NULL OR s.rse = ANY($2::varchar[]))
          AND EXISTS (SELECT 1 FROM rse_protocols p WHERE p.rse_id = s.id)
          AND ($3::boolean OR NOT EXISTS (SELECT 1 FROM consistency_runs c WHERE c.rse_id = s.id AND c.started_at > now() - make_interval(secs => $1::float8 * 3600)))
        ORDER BY last_run NULLS FIRST, s.rse`,
      [intervalHours, rseNames ? textArray(rseNames) : null, force],
    );
    return rows.map((r: { id: string; rse: string; deterministic: boolean; deletable: boolean; lfn2pfn: string | null; protocol: AuditableRse['protocol']; last_run: Date | null }) => ({
      id: r.id,
      rse: r.rse,
      deterministic: r.deterministic,
      lfn2pfnAlgorithm: r.lfn2pfn,
      deletable: r.deletable,
      protocol: r.protocol,
      lastRunAt: r.last_run,
    }));
  },

  /** One auditor at a time per RSE (between instances): a session lock, held by the audit's connection. */
  async tryLockRse(manager: EntityManager, rseId: string): Promise<boolean> {
    const [row] = await manager.query(`SELECT pg_try_advisory_lock(hashtext('tarn-auditor'), hashtext($1)) AS locked`, [rseId]);
    return row.locked === true;
  },

  async unlockRse(manager: EntityManager, rseId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_unlock(hashtext('tarn-auditor'), hashtext($1))`, [rseId]);
  },

  /** Records the start of a run; returns its id and the database's clock at the start (the listing's reference time). */
  async startRun(manager: EntityManager, rseId: string): Promise<{ id: string; startedAt: Date }> {
    const [row] = await manager.query(`INSERT INTO consistency_runs (rse_id) VALUES ($1) RETURNING id, started_at`, [rseId]);
    return { id: row.id, startedAt: row.started_at };
  },

  async finishRun(manager: EntityManager, runId: string, counts: RunCounts, error: string | null): Promise<void> {
    await manager.query(
      `UPDATE consistency_runs SET state = $2, finished_at = now(), listed = $3, dark = $4, missing = $5, quarantined = $6, deleted = $7, error = left($8, 4000)
        WHERE id = $1`,
      [runId, error ? 'failed' : 'done', counts.listed, counts.dark, counts.missing, counts.quarantined, counts.deleted, error],
    );
  },

  /** The temporary tables of an audit, empty, on the audit's connection (dropped by dropListing or at disconnection). */
  async createListing(manager: EntityManager): Promise<void> {
    await this.dropListing(manager);
    await manager.query(`CREATE TEMP TABLE ${FILES} (path text PRIMARY KEY, bytes bigint NOT NULL, mtime timestamptz NOT NULL)`);
    await manager.query(`CREATE TEMP TABLE ${DIDS} (scope text NOT NULL, name text NOT NULL, path text NOT NULL)`);
    await manager.query(`CREATE TEMP TABLE ${DARK} (path text PRIMARY KEY, bytes bigint NOT NULL, scope text, name text)`);
    await manager.query(`CREATE TEMP TABLE ${MISSING} (scope text NOT NULL, name text NOT NULL, bytes bigint NOT NULL, path text, PRIMARY KEY (scope, name))`);
  },

  async dropListing(manager: EntityManager): Promise<void> {
    await manager.query(`DROP TABLE IF EXISTS ${FILES}, ${DIDS}, ${DARK}, ${MISSING}`);
  },

  /** One batch of the storage listing, in one statement per table. */
  async addListing(manager: EntityManager, files: readonly ListedFile[]): Promise<void> {
    if (files.length === 0) return;
    await manager.query(
      `INSERT INTO ${FILES} (path, bytes, mtime)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) ON CONFLICT (path) DO NOTHING`,
      [textArray(files.map((f) => f.path)), plainArray(files.map((f) => f.bytes)), textArray(files.map((f) => f.mtime.toISOString()))],
    );
    const dids = files.flatMap((f) => f.dids.map((d) => ({ ...d, path: f.path })));
    if (dids.length === 0) return;
    await manager.query(
      `INSERT INTO ${DIDS} (scope, name, path) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [textArray(dids.map((d) => d.scope)), textArray(dids.map((d) => d.name)), textArray(dids.map((d) => d.path))],
    );
  },

  /** Indexes the listing once it is complete (cheaper than maintaining them during the load). */
  async indexListing(manager: EntityManager): Promise<void> {
    await manager.query(`CREATE INDEX ON ${DIDS} (path)`);
    await manager.query(`CREATE INDEX ON ${DIDS} (scope, name)`);
    await manager.query(`ANALYZE ${FILES}`);
    await manager.query(`ANALYZE ${DIDS}`);
  },

  /**
   * Dark data, one statement: listed files last modified before `before` that no replica of the RSE accounts
   * for (in any state: a COPYING replica is a write in progress), that no live transfer to the RSE is writing,
   * and not under the prefix of an enabled ingestion hook of the RSE (those files wait to be registered).
   * Returns how many.
   */
  async findDark(manager: EntityManager, rse: { id: string; rse: string }, before: Date): Promise<number> {
    const rows = await manager.query(
      `INSERT INTO ${DARK} (path, bytes, scope, name)
       SELECT f.path, f.bytes, d.scope, d.name
         FROM ${FILES} f LEFT JOIN LATERAL (SELECT d.scope, d.name FROM ${DIDS} d WHERE d.path = f.path LIMIT 1) d ON true
        WHERE f.mtime < $3 AND NOT ${KNOWN_PATH('f.path')}
          AND NOT EXISTS (SELECT 1 FROM ${DIDS} x JOIN requests q ON q.scope = x.scope AND q.name = x.name AND q.dest_rse_id = $1
                           WHERE x.path = f.path AND q.state IN ('Q', 'S', 'W', 'G'))
          AND NOT EXISTS (SELECT 1 FROM hooks h
                           WHERE h.enabled AND h.source ->> 'kind' = 'rse' AND h.source ->> 'rse' = $2
                             AND starts_with(f.path, coalesce(h.source ->> 'prefix', '')))
       RETURNING 1`,
      [rse.id, rse.rse, before.toISOString()],
    );
    return rows.length;
  },

  /**
   * Quarantines this run's dark files (first seen now: created_at; seen again: updated_at) and releases the
   * RSE's quarantined files that are not dark any more (gone from storage, or known to the catalogue by now).
   */
  async quarantine(manager: EntityManager, rseId: string): Promise<{ quarantined: number; released: number }> {
    const [row] = await manager.query(
      `WITH up AS (
         INSERT INTO quarantined_replicas (rse_id, path, bytes, scope, name)
         SELECT $1, d.path, d.bytes, d.scope, d.name FROM ${DARK} d WHERE length(d.path) <= 1024
         ON CONFLICT (rse_id, path) DO UPDATE SET bytes = EXCLUDED.bytes, updated_at = now()
         RETURNING (xmax = 0) AS inserted
       ), released AS (
         DELETE FROM quarantined_replicas q WHERE q.rse_id = $1 AND NOT EXISTS (SELECT 1 FROM ${DARK} d WHERE d.path = q.path)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM up WHERE inserted) AS quarantined, (SELECT count(*) FROM released) AS released`,
      [rseId],
    );
    return { quarantined: Number(row.quarantined), released: Number(row.released) };
  },

  /** Up to `limit` dark files of this run quarantined before `before`, by path after `afterPath`. */
  async expiredQuarantine(manager: EntityManager, rseId: string, before: Date, afterPath: string, limit: number): Promise<Array<{ path: string; bytes: number }>> {
    const rows = await manager.query(
      `SELECT q.path, q.bytes FROM quarantined_replicas q JOIN ${DARK} d ON d.path = q.path
        WHERE q.rse_id = $1 AND q.created_at < $2 AND q.path > $3
        ORDER BY q.path LIMIT $4`,
      [rseId, before.toISOString(), afterPath, limit],
    );
    return rows.map((r: { path: string; bytes: string | null }) => ({ path: r.path, bytes: Number(r.bytes ?? 0) }));
  },

  /** Of `paths`, those the catalogue still does not know on the RSE (checked again just before deleting them). */
  async stillDark(manager: EntityManager, rseId: string, paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    const rows = await manager.query(
      `SELECT u.path FROM unnest($2::text[]) AS u(path) WHERE NOT ${KNOWN_PATH('u.path')} ORDER BY u.path`,
      [rseId, textArray(paths)],
    );
    return rows.map((r: { path: string }) => r.path);
  },

  /** Forgets quarantined files deleted from storage. */
  async forgetQuarantined(manager: EntityManager, rseId: string, paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await manager.query(`DELETE FROM quarantined_replicas WHERE rse_id = $1 AND path = ANY($2::text[])`, [rseId, textArray(paths)]);
  },

  /**
   * Missing replicas, one statement: AVAILABLE replicas of the RSE created before `createdBefore` and unchanged
   * since `listingStart` (a replica that became AVAILABLE during the listing may have been written after its
   * directory was listed), with no transfer to the RSE in flight, whose file is not in the listing: at its stored
   * path, else (deterministic RSEs) at its lfn2pfn path. Returns how many, and how many replicas were eligible.
   */
  async findMissing(manager: EntityManager, rse: { id: string; deterministic: boolean }, createdBefore: Date, listingStart: Date): Promise<{ missing: number; eligible: number }> {
    const [row] = await manager.query(
      `WITH eligible AS (
         SELECT r.scope, r.name, r.bytes, r.path FROM replicas r
          WHERE r.rse_id = $1 AND r.state = 'A' AND r.created_at < $3 AND r.updated_at < $4
            AND (r.path IS NOT NULL OR $2::boolean)
            AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.scope = r.scope AND q.name = r.name AND q.dest_rse_id = $1 AND q.state IN ('Q', 'S', 'W', 'G'))
       ), missing AS (
         INSERT INTO ${MISSING} (scope, name, bytes, path)
         SELECT e.scope, e.name, e.bytes, e.path FROM eligible e
          WHERE CASE WHEN e.path IS NOT NULL THEN NOT EXISTS (SELECT 1 FROM ${FILES} f WHERE f.path = e.path)
                     ELSE NOT EXISTS (SELECT 1 FROM ${DIDS} d WHERE d.scope = e.scope AND d.name = e.name) END
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM missing) AS missing, (SELECT count(*) FROM eligible) AS eligible`,
      [rse.id, rse.deterministic, createdBefore.toISOString(), listingStart.toISOString()],
    );
    return { missing: Number(row.missing), eligible: Number(row.eligible) };
  },

  /** Up to `limit` missing replicas of this run, after (scope, name) `after`. */
  async missingPage(manager: EntityManager, after: { scope: string; name: string } | null, limit: number): Promise<MissingReplica[]> {
    const rows = await manager.query(
      `SELECT scope, name, bytes, path FROM ${MISSING}
        WHERE $1::text IS NULL OR (scope, name) > ($1::text, $2::text)
        ORDER BY scope, name LIMIT $3`,
      [after?.scope ?? null, after?.name ?? null, limit],
    );
    return rows.map((r: { scope: string; name: string; bytes: string; path: string | null }) => ({ scope: r.scope, name: r.name, bytes: Number(r.bytes), path: r.path }));
  },

  /** Of `replicas`, those still AVAILABLE and unchanged since `listingStart` (re-checked just before declaring them bad). */
  async stillMissing(manager: EntityManager, rseId: string, replicas: ReadonlyArray<{ scope: string; name: string }>, listingStart: Date): Promise<Array<{ scope: string; name: string }>> {
    if (replicas.length === 0) return [];
    const rows = await manager.query(
      `SELECT r.scope, r.name FROM unnest($2::varchar[], $3::varchar[]) AS u(scope, name)
         JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE_ID('r', '$1')}
        WHERE r.state = 'A' AND r.updated_at < $4
        ORDER BY r.scope, r.name`,
      [rseId, textArray(replicas.map((r) => r.scope)), textArray(replicas.map((r) => r.name)), listingStart.toISOString()],
    );
    return rows.map((r: { scope: string; name: string }) => ({ scope: r.scope, name: r.name }));
  },

  /** A runtime knob of the auditor from the configs table (section `auditor`), or null. */
  async config(manager: EntityManager, opt: string): Promise<string | null> {
    const rows = await manager.query(`SELECT value FROM configs WHERE section = 'auditor' AND opt = $1`, [opt]);
    return rows.length > 0 ? rows[0].value : null;
  },
};
