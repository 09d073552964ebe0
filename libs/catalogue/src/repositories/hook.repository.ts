import { EntityManager } from 'typeorm';

/** A hook row as stored (source, target, rules and after are the validated JSON of libs/core's HookSpec). */
export interface HookRecord {
  id: string;
  name: string;
  account: string;
  enabled: boolean;
  schedule: string;
  timezone: string | null;
  source: Record<string, unknown>;
  target: Record<string, unknown>;
  checksum: string;
  rules: Record<string, unknown>[];
  after: Record<string, unknown>;
  comment: string | null;
  nextRunAt: Date | null;
  runRequestedAt: Date | null;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type HookFields = Pick<
  HookRecord,
  'name' | 'account' | 'enabled' | 'schedule' | 'timezone' | 'source' | 'target' | 'checksum' | 'rules' | 'after' | 'comment' | 'nextRunAt'
>;

export interface HookRunRecord {
  id: string;
  hookId: string;
  hook: string;
  trigger: string;
  state: string;
  instance: string;
  startedAt: Date;
  finishedAt: Date | null;
  filesListed: number;
  filesRegistered: number;
  filesSkipped: number;
  filesFailed: number;
  bytesRegistered: number;
  datasetsCreated: number;
  rulesCreated: number;
  sourcesRemoved: number;
  errors: Record<string, unknown>[];
}

export type HookRunTotals = Pick<
  HookRunRecord,
  'filesListed' | 'filesRegistered' | 'filesSkipped' | 'filesFailed' | 'bytesRegistered' | 'datasetsCreated' | 'rulesCreated' | 'sourcesRemoved'
>;

/** A file of a listing, with the DID it is to become. */
export interface IngestCandidate {
  path: string;
  size: number;
  mtimeMs: number;
  scope: string;
  name: string;
  dataset: string | null;
}

export type IngestFileKey = Pick<IngestCandidate, 'path' | 'size' | 'mtimeMs'>;

/** A candidate after claiming: `new` (claimed now), `pending` (claimed by a run that died) or already taken in. */
export interface ClaimedFile extends IngestCandidate {
  status: 'new' | 'pending' | 'done';
}

/** What the catalogue holds for a DID (and its replica on one RSE). */
export interface CatalogueFileState {
  scope: string;
  name: string;
  didType: string | null;
  didBytes: number | null;
  replicaState: string | null;
  replicaPath: string | null;
}

const HOOK_COLUMNS = `h.id, h.name, h.account, h.enabled, h.schedule, h.timezone, h.source, h.target, h.checksum, h.rules, h.after,
  h.comment, h.next_run_at AS "nextRunAt", h.run_requested_at AS "runRequestedAt", h.last_run_at AS "lastRunAt",
  h.last_success_at AS "lastSuccessAt", h.created_at AS "createdAt", h.updated_at AS "updatedAt"`;

const RUN_COLUMNS = `r.id, r.hook_id AS "hookId", h.name AS hook, r.trigger, r.state, r.instance, r.started_at AS "startedAt",
  r.finished_at AS "finishedAt", r.files_listed AS "filesListed", r.files_registered AS "filesRegistered",
  r.files_skipped AS "filesSkipped", r.files_failed AS "filesFailed", r.bytes_registered::float8 AS "bytesRegistered",
  r.datasets_created AS "datasetsCreated", r.rules_created AS "rulesCreated", r.sources_removed AS "sourcesRemoved", r.errors`;

const keyArrays = (keys: readonly IngestFileKey[]) => [keys.map((k) => k.path), keys.map((k) => k.size), keys.map((k) => k.mtimeMs)];

export const hookRepository = {
  /** Inserts a hook; null when the name is taken. */
  async insert(manager: EntityManager, fields: HookFields): Promise<HookRecord | null> {
    const rows = await manager.query(
      `INSERT INTO hooks AS h (name, account, enabled, schedule, timezone, source, target, checksum, rules, after, comment, next_run_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10::jsonb, $11, $12)
       ON CONFLICT (name) DO NOTHING
       RETURNING ${HOOK_COLUMNS}`,
      [
        fields.name, fields.account, fields.enabled, fields.schedule, fields.timezone, JSON.stringify(fields.source),
        JSON.stringify(fields.target), fields.checksum, JSON.stringify(fields.rules), JSON.stringify(fields.after), fields.comment, fields.nextRunAt,
      ],
    );
    return rows[0] ?? null;
  },

  async find(manager: EntityManager, by: { name?: string; id?: string }, options: { lock?: boolean } = {}): Promise<HookRecord | null> {
    const rows = await manager.query(
      `SELECT ${HOOK_COLUMNS} FROM hooks h WHERE ${by.id ? 'h.id = $1::uuid' : 'h.name = $1'}${options.lock ? ' FOR UPDATE' : ''}`,
      [by.id ?? by.name],
    );
    return rows[0] ?? null;
  },

  async list(manager: EntityManager, account: string | null): Promise<HookRecord[]> {
    return manager.query(`SELECT ${HOOK_COLUMNS} FROM hooks h WHERE $1::varchar IS NULL OR h.account = $1 ORDER BY h.name`, [account]);
  },

  async update(manager: EntityManager, id: string, fields: HookFields): Promise<HookRecord> {
    const rows = await manager.query(
      `UPDATE hooks h SET name = $2, account = $3, enabled = $4, schedule = $5, timezone = $6, source = $7::jsonb, target = $8::jsonb,
              checksum = $9, rules = $10::jsonb, after = $11::jsonb, comment = $12, next_run_at = $13, updated_at = now()
        WHERE h.id = $1
        RETURNING ${HOOK_COLUMNS}`,
      [
        id, fields.name, fields.account, fields.enabled, fields.schedule, fields.timezone, JSON.stringify(fields.source), JSON.stringify(fields.target),
        fields.checksum, JSON.stringify(fields.rules), JSON.stringify(fields.after), fields.comment, fields.nextRunAt,
      ],
    );
    return rows[0][0];
  },

  async delete(manager: EntityManager, id: string): Promise<void> {
    for (const table of ['ingested_files', 'hook_datasets', 'hook_runs']) await manager.query(`DELETE FROM ${table} WHERE hook_id = $1`, [id]);
    await manager.query(`DELETE FROM hooks WHERE id = $1`, [id]);
  },

  async requestRun(manager: EntityManager, id: string): Promise<HookRecord> {
    const rows = await manager.query(
      `UPDATE hooks h SET run_requested_at = coalesce(run_requested_at, now()), updated_at = now() WHERE h.id = $1 RETURNING ${HOOK_COLUMNS}`,
      [id],
    );
    return rows[0][0];
  },

  /** Enabled hooks whose tick has come or that were asked to run, most overdue first. */
  async due(manager: EntityManager, now: Date, limit: number): Promise<HookRecord[]> {
    return manager.query(
      `SELECT ${HOOK_COLUMNS} FROM hooks h
        WHERE h.enabled AND (h.run_requested_at IS NOT NULL OR h.next_run_at <= $1)
        ORDER BY coalesce(h.run_requested_at, h.next_run_at) LIMIT $2`,
      [now, limit],
    );
  },

  /** The earliest future tick of an enabled hook (to wake the ingester then). */
  async nextTick(manager: EntityManager): Promise<Date | null> {
    const [row] = await manager.query(`SELECT min(next_run_at) AS next FROM hooks WHERE enabled`);
    return row?.next ?? null;
  },

  /**
   * Session-level advisory lock of a hook on the caller's own connection: runs of one hook never overlap, whatever
   * the instances; it goes with the connection when the ingester dies.
   */
  async tryLock(manager: EntityManager, hookId: string): Promise<boolean> {
    const [row] = await manager.query(`SELECT pg_try_advisory_lock(hashtext('tarn.hook'), hashtext($1)) AS locked`, [hookId]);
    return row.locked === true;
  },

  async unlock(manager: EntityManager, hookId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_unlock(hashtext('tarn.hook'), hashtext($1))`, [hookId]);
  },

  /** Starts a run; RUNNING runs of the hook left by a dead ingester (the caller holds the hook's lock) become ABANDONED. */
  async startRun(manager: EntityManager, hookId: string, trigger: string, instance: string): Promise<{ id: string; startedAt: Date }> {
    await manager.query(`UPDATE hook_runs SET state = 'ABANDONED', finished_at = now() WHERE hook_id = $1 AND state = 'RUNNING'`, [hookId]);
    const [row] = await manager.query(
      `INSERT INTO hook_runs (hook_id, trigger, state, instance, started_at) VALUES ($1, $2, 'RUNNING', $3, now()) RETURNING id, started_at AS "startedAt"`,
      [hookId, trigger, instance],
    );
    return row;
  },

  /** Records a run's counts so far (a run in progress shows its progress). */
  async recordProgress(manager: EntityManager, runId: string, totals: HookRunTotals, errors: Record<string, unknown>[]): Promise<void> {
    await manager.query(
      `UPDATE hook_runs SET files_listed = $2, files_registered = $3, files_skipped = $4, files_failed = $5, bytes_registered = $6,
              datasets_created = $7, rules_created = $8, sources_removed = $9, errors = $10::jsonb
        WHERE id = $1`,
      [
        runId, totals.filesListed, totals.filesRegistered, totals.filesSkipped, totals.filesFailed, totals.bytesRegistered,
        totals.datasetsCreated, totals.rulesCreated, totals.sourcesRemoved, JSON.stringify(errors),
      ],
    );
  },

  /** Ends a run and moves the hook on: its next tick, and "run now" cleared when it was asked before the run began. */
  async finishRun(
    manager: EntityManager,
    run: { id: string; hookId: string; state: string; startedAt: Date; nextRunAt: Date | null },
  ): Promise<void> {
    await manager.query(`UPDATE hook_runs SET state = $2, finished_at = now() WHERE id = $1`, [run.id, run.state]);
    await manager.query(
      `UPDATE hooks SET last_run_at = $2, next_run_at = $3,
              last_success_at = CASE WHEN $4 THEN $2 ELSE last_success_at END,
              run_requested_at = CASE WHEN run_requested_at <= $2 THEN NULL ELSE run_requested_at END
        WHERE id = $1`,
      [run.hookId, run.startedAt, run.nextRunAt, run.state === 'DONE'],
    );
  },

  async runs(manager: EntityManager, hookId: string, limit: number): Promise<HookRunRecord[]> {
    const rows = await manager.query(
      `SELECT ${RUN_COLUMNS} FROM hook_runs r JOIN hooks h ON h.id = r.hook_id WHERE r.hook_id = $1 ORDER BY r.started_at DESC, r.id LIMIT $2`,
      [hookId, limit],
    );
    return rows;
  },

  async findRun(manager: EntityManager, runId: string): Promise<HookRunRecord | null> {
    const rows = await manager.query(`SELECT ${RUN_COLUMNS} FROM hook_runs r JOIN hooks h ON h.id = r.hook_id WHERE r.id = $1`, [runId]);
    return rows[0] ?? null;
  },

  /**
   * Claims the listed files of a hook in one statement: a file not seen before gets a P row (status `new`); one left
   * in P by a run that died comes back `pending` (with the DID it was to become); anything else is `done`.
   */
  async claim(manager: EntityManager, hookId: string, runId: string, files: readonly IngestCandidate[]): Promise<ClaimedFile[]> {
    if (files.length === 0) return [];
    const rows = await manager.query(
      `WITH input AS (
         SELECT * FROM unnest($2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[], $6::varchar[], $7::varchar[])
                  AS t(path, size, mtime_ms, scope, name, dataset)
       ), inserted AS (
         INSERT INTO ingested_files (hook_id, path, size, mtime_ms, scope, name, dataset, state, run_id)
         SELECT $1, path, size, mtime_ms, scope, name, dataset, 'P', $8 FROM input
         ON CONFLICT DO NOTHING
         RETURNING path, size, mtime_ms
       ), retaken AS (
         UPDATE ingested_files f SET run_id = $8, updated_at = now()
           FROM input i
          WHERE f.hook_id = $1 AND f.path = i.path AND f.size = i.size AND f.mtime_ms = i.mtime_ms AND f.state = 'P'
          RETURNING f.path, f.size, f.mtime_ms, f.scope, f.name, f.dataset
       )
       SELECT i.path, i.size::float8 AS size, i.mtime_ms::float8 AS "mtimeMs",
              coalesce(r.scope, i.scope) AS scope, coalesce(r.name, i.name) AS name,
              CASE WHEN r.path IS NOT NULL THEN r.dataset ELSE i.dataset END AS dataset,
              CASE WHEN n.path IS NOT NULL THEN 'new' WHEN r.path IS NOT NULL THEN 'pending' ELSE 'done' END AS status
         FROM input i
         LEFT JOIN inserted n ON n.path = i.path AND n.size = i.size AND n.mtime_ms = i.mtime_ms
         LEFT JOIN retaken r ON r.path = i.path AND r.size = i.size AND r.mtime_ms = i.mtime_ms`,
      [
        hookId, files.map((f) => f.path), files.map((f) => f.size), files.map((f) => f.mtimeMs), files.map((f) => f.scope),
        files.map((f) => f.name), files.map((f) => f.dataset), runId,
      ],
    );
    return rows;
  },

  /** Sets the state of files of a hook (R registered, D done). */
  async setState(manager: EntityManager, hookId: string, keys: readonly IngestFileKey[], state: string): Promise<number> {
    if (keys.length === 0) return 0;
    const [paths, sizes, mtimes] = keyArrays(keys);
    const [, count] = await manager.query(
      `UPDATE ingested_files f SET state = $5, updated_at = now()
         FROM unnest($2::varchar[], $3::bigint[], $4::bigint[]) AS k(path, size, mtime_ms)
        WHERE f.hook_id = $1 AND f.path = k.path AND f.size = k.size AND f.mtime_ms = k.mtime_ms`,
      [hookId, paths, sizes, mtimes, state],
    );
    return count;
  },

  /** Gives files back (their registration failed before anything was written): a later run tries again. */
  async release(manager: EntityManager, hookId: string, keys: readonly IngestFileKey[]): Promise<void> {
    if (keys.length === 0) return;
    const [paths, sizes, mtimes] = keyArrays(keys);
    await manager.query(
      `DELETE FROM ingested_files f USING unnest($2::varchar[], $3::bigint[], $4::bigint[]) AS k(path, size, mtime_ms)
        WHERE f.hook_id = $1 AND f.path = k.path AND f.size = k.size AND f.mtime_ms = k.mtime_ms AND f.state = 'P'`,
      [hookId, paths, sizes, mtimes],
    );
  },

  /** The DIDs (and their replica on the RSE) of the catalogue, one round trip for a batch. */
  async catalogueState(manager: EntityManager, rseId: string, dids: readonly { scope: string; name: string }[]): Promise<CatalogueFileState[]> {
    if (dids.length === 0) return [];
    return manager.query(
      `SELECT k.scope, k.name, d.did_type AS "didType", d.bytes::float8 AS "didBytes", r.state AS "replicaState", r.path AS "replicaPath"
         FROM unnest($2::varchar[], $3::varchar[]) AS k(scope, name)
         LEFT JOIN dids d ON d.scope = k.scope AND d.name = k.name
         LEFT JOIN replicas r ON r.scope = k.scope AND r.name = k.name AND r.rse_id = $1`,
      [rseId, dids.map((d) => d.scope), dids.map((d) => d.name)],
    );
  },

  /** Registered drop-box files of a hook with the state of their replica on the target RSE. */
  async registeredWithReplicaState(
    manager: EntityManager,
    hookId: string,
    rseId: string,
    limit: number,
  ): Promise<Array<IngestCandidate & { replicaState: string | null }>> {
    return manager.query(
      `SELECT f.path, f.size::float8 AS size, f.mtime_ms::float8 AS "mtimeMs", f.scope, f.name, f.dataset, r.state AS "replicaState"
         FROM ingested_files f
         LEFT JOIN replicas r ON r.scope = f.scope AND r.name = f.name AND r.rse_id = $2
        WHERE f.hook_id = $1 AND f.state = 'R'
        ORDER BY f.created_at LIMIT $3`,
      [hookId, rseId, limit],
    );
  },

  async countFiles(manager: EntityManager, hookId: string): Promise<Record<string, number>> {
    const rows = await manager.query(`SELECT state, count(*)::int AS n FROM ingested_files WHERE hook_id = $1 GROUP BY state`, [hookId]);
    return Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n]));
  },

  async datasets(manager: EntityManager, hookId: string, scope: string, names: readonly string[]): Promise<Map<string, string>> {
    const rows = await manager.query(`SELECT name, state FROM hook_datasets WHERE hook_id = $1 AND scope = $2 AND name = ANY($3::varchar[])`, [
      hookId,
      scope,
      names,
    ]);
    return new Map(rows.map((r: { name: string; state: string }) => [r.name, r.state]));
  },

  async setDataset(manager: EntityManager, hookId: string, scope: string, name: string, state: string): Promise<void> {
    await manager.query(
      `INSERT INTO hook_datasets (hook_id, scope, name, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT (hook_id, scope, name) DO UPDATE SET state = EXCLUDED.state`,
      [hookId, scope, name, state],
    );
  },

  async rseId(manager: EntityManager, rse: string): Promise<string | null> {
    const [row] = await manager.query(`SELECT id FROM rses WHERE rse = $1 AND NOT deleted`, [rse]);
    return row?.id ?? null;
  },
};
