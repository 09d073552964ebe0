import { EntityManager } from 'typeorm';
import { countInStatements, inStatements } from '../database/bulk-statements.js';
import { DidType, EPOCH_TOMBSTONE, ReplicaState } from '@tarn/domain';

export interface ReplicaKey {
  scope: string;
  name: string;
  rseId: string;
}

export interface ReplicaStateRow extends ReplicaKey {
  state: ReplicaState;
}

/** A replica a rule's new lock needs: inserted (isNew) or, when it exists, lock_cnt + 1 and tombstone cleared. */
export interface LockedReplica extends ReplicaKey {
  bytes: number;
  adler32: string | null;
  md5: string | null;
  /** State of a new replica; for an existing UNAVAILABLE or BAD one, the state it takes (COPYING to copy again). */
  state: ReplicaState;
  isNew: boolean;
}

export interface RegisteredReplica {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  path: string | null;
  state: ReplicaState;
  /** The file's GUID, given to a file the registration creates (or that has none yet). */
  guid?: string | null;
}

/** A replica that does not fit its file DID (missing, not a file, other size or checksum), and what the DID says. */
export interface RegistrationMisfit {
  file: RegisteredReplica;
  /** null when the DID does not exist. */
  didType: DidType | null;
  didBytes: number | null;
  didAdler32: string | null;
  didMd5: string | null;
  didXxh64: string | null;
}

/** Where a statement writes its events: the outbox columns of the event type (@tarn/events cannot be imported here). */
export interface OutboxColumns {
  topic: string;
  eventType: string;
  version: number;
}

/** What one registration statement did: counts, or the first row that does not fit its file (nothing written then). */
export interface RegistrationResult {
  /** Replica rows written (new, or an existing COPYING/UNAVAILABLE/BAD/TEMPORARY_UNAVAILABLE one updated). */
  registered: number;
  inserted: number;
  filesCreated: number;
  /** Replicas queued for verification (announced AVAILABLE). */
  announced: number;
  misfit: RegistrationMisfit | null;
}

export interface RseUsageDelta {
  rseId: string;
  files: number;
  bytes: number;
}

export interface ReplicaListRow {
  scope: string;
  name: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  rseId: string | null;
  state: ReplicaState | null;
  path: string | null;
  lockCnt: number | null;
  tombstone: Date | null;
  accessedAt: Date | null;
}

/** What registration and listing need to know about an RSE: its paths and read protocols. */
export interface ReplicaRseInfo {
  id: string;
  rse: string;
  deterministic: boolean;
  availabilityRead: boolean;
  availabilityWrite: boolean;
  /** lfn2pfn_algorithm attribute, when set. */
  lfn2pfnAlgorithm: string | null;
  /** Attribute allow_user_paths: accounts other than administrators may register replicas at explicit paths. */
  allowUserPaths: boolean;
  protocols: Array<{ scheme: string; hostname: string; port: number; prefix: string; readWan: number; readLan: number }>;
}

/**
 * PostgreSQL array literals built directly, for the large arrays of hot paths: pg's generic array
 * serialisation escapes every element with two regular expressions, which costs more than the statement
 * on 20,000-element arrays. Cast the parameter in SQL ($1::varchar[], $2::uuid[], $3::bigint[]).
 */
export function textArray(values: ReadonlyArray<string | null>): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (v.includes('"') || v.includes('\\')) parts[i] = `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    else parts[i] = `"${v}"`;
  }
  return `{${parts.join(',')}}`;
}

/** Array literal of uuids, numbers or booleans (no quoting needed); null elements become NULL. */
export function plainArray(values: ReadonlyArray<string | number | boolean | null>): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = values[i] === null || values[i] === undefined ? 'NULL' : String(values[i]);
  return `{${parts.join(',')}}`;
}

/** The scope, name and rse_id arrays of replica keys, as $n::varchar[], $n::varchar[], $n::uuid[] parameters. */
export const keyArrays = (rows: readonly ReplicaKey[]) => [
  textArray(rows.map((r) => r.scope)),
  textArray(rows.map((r) => r.name)),
  plainArray(rows.map((r) => r.rseId)),
];

/**
 * The RSE condition of a replica or lock probed by key, `<row>.rse_id` equal to `<key>.rse_id`, written so that no
 * index can use it: the probe then goes down the primary key by (scope, name) (a file has a few replicas and locks).
 * Otherwise a replica probe can take replicas_rse_tombstone_idx, which a never-analysed table makes look as cheap and
 * which reads every replica of the RSE per key; and a lock probe, whose key lacks the rule_id between name and rse_id
 * in the primary key, is costed by PostgreSQL 18 as a skip scan over every rule, so that on a large catalogue it
 * hashes every REPLICATING lock instead (0.3 s per 300 keys at a million locks, where the probes take 1 ms).
 */
export const PROBE_RSE = (row: string, key: string): string => `${row}.rse_id::text = ${key}.rse_id::text`;

/** PROBE_RSE with the RSE as a parameter or expression (`$1`) rather than a key's column: rows of one RSE probed by (scope, name). */
export const PROBE_RSE_ID = (row: string, rseId: string): string => `${row}.rse_id::text = (${rseId})::uuid::text`;

/**
 * Locks these replicas' rows (those that exist), in key order, in a statement of its own. Call it first in the
 * transaction of a statement that finds rows by a locking probe and then writes them by tuple id: that statement's
 * snapshot then already shows the latest version of every row. Otherwise a row another transaction changed meanwhile
 * (a rule adding its lock) is locked at its new version, which the statement's older snapshot cannot see, and the
 * write by tuple id silently misses it.
 */
export async function lockReplicaRows(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<void> {
  if (keys.length === 0) return;
  await manager.query(
    `SELECT 1
       FROM (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id) ORDER BY 1, 2, 3) u
       CROSS JOIN LATERAL (SELECT 1 FROM replicas r WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')}
                            LIMIT 1 FOR UPDATE) r`,
    keyArrays(keys),
  );
}

/** A replica a statement changed, with its size and RSE name (what its event says). */
export type ChangedReplica = ReplicaKey & { bytes: number; rse: string };

/** A row `scope, name, rse_id, bytes, rse` of a statement that changed replicas. */
export function toChangedReplica(row: { scope: string; name: string; rse_id: string; bytes: string; rse: string }): ChangedReplica {
  return { scope: row.scope, name: row.name, rseId: row.rse_id, bytes: Number(row.bytes), rse: row.rse };
}

/** Sorts by (scope, name, rse_id): writers touching the same replicas take their row locks in the same order. */
export function sortReplicaKeys<T extends ReplicaKey>(rows: T[]): T[] {
  return rows.sort((a, b) =>
    a.scope !== b.scope ? (a.scope < b.scope ? -1 : 1) : a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.rseId < b.rseId ? -1 : a.rseId > b.rseId ? 1 : 0,
  );
}

export const replicaRepository = {
  /** Live RSEs by name (all when `names` is null), with their protocols. */
  /**
   * Of these (file, path) pairs on an RSE, the paths another replica already holds (replicas_rse_path_uq makes it
   * at most one), and which of them its holder is being registered again at.
   */
  async pathsHeldByOthers(manager: EntityManager, rseId: string, rows: ReadonlyArray<{ scope: string; name: string; path: string }>): Promise<string[]> {
    if (rows.length === 0) return [];
    const held = await manager.query(
      `SELECT DISTINCT u.path FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(scope, name, path)
         JOIN replicas r ON r.rse_id = $1 AND r.path = u.path
        WHERE NOT (r.scope = u.scope AND r.name = u.name)`,
      [rseId, textArray(rows.map((r) => r.scope)), textArray(rows.map((r) => r.name)), textArray(rows.map((r) => r.path))],
    );
    return held.map((r: { path: string }) => r.path);
  },

  async rseInfo(manager: EntityManager, names: readonly string[] | null, ids: readonly string[] | null = null): Promise<ReplicaRseInfo[]> {
    const rows = await manager.query(
      `SELECT s.id, s.rse, s.deterministic, s.availability_read, s.availability_write,
              (SELECT a.value #>> '{}' FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'lfn2pfn_algorithm') AS lfn2pfn,
              coalesce((SELECT lower(a.value #>> '{}') IN ('true', '1') FROM rse_attributes a WHERE a.rse_id = s.id AND a.key = 'allow_user_paths'), false) AS allow_user_paths,
              coalesce((SELECT json_agg(json_build_object('scheme', p.scheme, 'hostname', p.hostname, 'port', p.port,
                                'prefix', p.prefix, 'readWan', p.read_wan, 'readLan', p.read_lan))
                          FROM rse_protocols p WHERE p.rse_id = s.id), '[]') AS protocols
         FROM rses s
        WHERE NOT s.deleted AND ($1::varchar[] IS NULL OR s.rse = ANY($1::varchar[])) AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))`,
      [names, ids],
    );
    return rows.map(
      (r: {
        id: string; rse: string; deterministic: boolean; availability_read: boolean; availability_write: boolean; lfn2pfn: string | null;
        allow_user_paths: boolean; protocols: ReplicaRseInfo['protocols'];
      }) => ({
        id: r.id,
        rse: r.rse,
        deterministic: r.deterministic,
        availabilityRead: r.availability_read,
        availabilityWrite: r.availability_write,
        lfn2pfnAlgorithm: r.lfn2pfn,
        allowUserPaths: r.allow_user_paths,
        protocols: r.protocols,
      }),
    );
  },

  /**
   * Existing replicas of these files on these RSEs, locked FOR UPDATE in key order, so that their state
   * cannot change (e.g. the reaper starting a deletion) before the caller's locks on them are written.
   */
  async lockOnRses(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>, rseIds: readonly string[]): Promise<ReplicaStateRow[]> {
    if (files.length === 0 || rseIds.length === 0) return [];
    const rows = await manager.query(
      `SELECT r.scope, r.name, r.rse_id, r.state
         FROM unnest($1::varchar[], $2::varchar[]) AS f(scope, name)
         JOIN replicas r ON r.scope = f.scope AND r.name = f.name
        WHERE r.rse_id = ANY($3::uuid[])
        ORDER BY r.scope, r.name, r.rse_id
        FOR UPDATE OF r`,
      [textArray(files.map((f) => f.scope)), textArray(files.map((f) => f.name)), plainArray(rseIds)],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      state: r.state,
    }));
  },

  /** Files (as "scope:name") with an AVAILABLE replica on one of these RSEs. */
  async availableOn(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>, rseIds: readonly string[]): Promise<Set<string>> {
    if (files.length === 0 || rseIds.length === 0) return new Set();
    const rows = await manager.query(
      `SELECT DISTINCT r.scope, r.name
         FROM unnest($1::varchar[], $2::varchar[]) AS f(scope, name)
         JOIN replicas r ON r.scope = f.scope AND r.name = f.name
        WHERE r.rse_id = ANY($3::uuid[]) AND r.state = 'A'`,
      [files.map((f) => f.scope), files.map((f) => f.name), rseIds],
    );
    return new Set(rows.map((r: { scope: string; name: string }) => `${r.scope}:${r.name}`));
  },

  /**
   * One statement for all replicas of a rule's new locks: new ones are inserted with lock_cnt 1; existing
   * ones get lock_cnt + 1 atomically and lose their tombstone (an UNAVAILABLE or BAD one takes the given
   * state). Returns the rows that already existed, with their state after the statement: besides the ones the
   * caller locked, those a concurrent writer inserted meanwhile. Pass rows sorted with sortReplicaKeys.
   */
  async upsertForLocks(manager: EntityManager, rows: readonly LockedReplica[]): Promise<ReplicaStateRow[]> {
    if (rows.length === 0) return [];
    const existed = await manager.query(
      `WITH up AS (
         INSERT INTO replicas AS r (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt, tombstone)
         SELECT u.scope, u.name, u.rse_id, u.bytes, u.adler32, u.md5, u.state, 1, NULL
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::bigint[], $5::varchar[], $6::varchar[], $7::replicas_state_enum[])
                AS u(scope, name, rse_id, bytes, adler32, md5, state)
         ON CONFLICT (scope, name, rse_id) DO UPDATE
            SET lock_cnt = r.lock_cnt + 1, tombstone = NULL, updated_at = now(),
                state = CASE WHEN r.state IN ('U', 'D') THEN EXCLUDED.state ELSE r.state END
         RETURNING r.scope, r.name, r.rse_id, r.state, (r.xmax = 0) AS inserted
       )
       SELECT scope, name, rse_id, state FROM up WHERE NOT inserted`,
      [
        ...keyArrays(rows),
        plainArray(rows.map((r) => r.bytes)),
        textArray(rows.map((r) => r.adler32)),
        textArray(rows.map((r) => r.md5)),
        textArray(rows.map((r) => r.state)),
      ],
    );
    return existed.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      state: r.state,
    }));
  },

  /**
   * Releases the replicas a rule's locks hold: lock_cnt - 1; a replica left without locks gets its
   * tombstone (tombstoneAfterUnlock: the epoch when purging, else its last access or now). A COPYING replica
   * left without locks will never be completed: it becomes UNAVAILABLE with an epoch tombstone, as in Rucio.
   * Call before the locks are deleted.
   */
  async releaseForRule(manager: EntityManager, ruleId: string, purgeReplicas: boolean): Promise<void> {
    // The rule's lock keys go through arrays: unnest() of a computed array is planned as a small outer side with
    // primary-key probes into replicas, whatever the (possibly stale) statistics say about this rule's locks.
    await manager.query(
      `WITH k AS (
         SELECT array_agg(scope) AS scopes, array_agg(name) AS names, array_agg(rse_id) AS rse_ids FROM locks WHERE rule_id = $1
       )
       UPDATE replicas r
          SET lock_cnt = r.lock_cnt - 1,
              tombstone = CASE
                WHEN r.lock_cnt - 1 > 0 THEN r.tombstone
                WHEN $2 OR r.state IN ('C', 'U') THEN $3::timestamptz
                ELSE coalesce(r.accessed_at, now()) END,
              state = CASE WHEN r.lock_cnt - 1 = 0 AND r.state = 'C' THEN 'U' ELSE r.state END,
              updated_at = now()
         FROM k, unnest(k.scopes, k.names, k.rse_ids) AS u(scope, name, rse_id)
        WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id`,
      [ruleId, purgeReplicas, EPOCH_TOMBSTONE],
    );
  },

  /** Files and bytes of replicas these rule locks created, per RSE (for the RSE's catalogue usage). */
  async addRseUsage(manager: EntityManager, deltas: readonly RseUsageDelta[]): Promise<void> {
    const rows = deltas.filter((d) => d.files !== 0 || d.bytes !== 0).sort((a, b) => (a.rseId < b.rseId ? -1 : 1));
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO rse_usage AS s (rse_id, source, used, files)
       SELECT u.rse_id, 'rucio', u.bytes, u.files FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS u(rse_id, files, bytes)
       ON CONFLICT (rse_id, source) DO UPDATE SET used = s.used + EXCLUDED.used, files = s.files + EXCLUDED.files, updated_at = now()`,
      [rows.map((d) => d.rseId), rows.map((d) => d.files), rows.map((d) => d.bytes)],
    );
  },

  /**
   * Registers replicas on one RSE in ONE statement: checks each row against its file DID (probed by primary key,
   * LATERAL ... LIMIT 1, so that the planner never hashes the whole dids table), creates the missing files (with
   * `createMissingFiles`; never under a name reserved by a deleted DID) and their files.created outbox rows (per
   * scope, `filesPerEvent` names each), and
   * only when every row fits, inserts new replicas and updates existing COPYING, UNAVAILABLE, BAD or
   * TEMPORARY_UNAVAILABLE ones (AVAILABLE and BEING_DELETED ones are left alone and not counted). A replica
   * announced AVAILABLE is written COPYING and queued in replica_verifications: the replica-registrar makes it
   * AVAILABLE once its size and checksum are verified on the storage; one replica.announced outbox row says so. One
   * announced COPYING (an upload that is about to write it) is queued too, due after `uploadTimeoutSeconds`: if the
   * upload never says it is done, the registrar then finds out whether the file is there.
   * Missing checksums come from the DID; the RSE's catalogue usage grows by the new rows.
   * Call appendEvents' transaction preamble (pg_current_xact_id, pg_notify) first: this statement writes outbox rows.
   */
  async register(
    manager: EntityManager,
    rse: { id: string; rse: string },
    rows: readonly RegisteredReplica[],
    options: {
      account: string;
      createMissingFiles: boolean;
      tombstone: Date | null;
      filesCreated: OutboxColumns;
      filesPerEvent: number;
      announced: OutboxColumns;
      /** A replica announced COPYING (an upload about to write it) is checked on storage after this long. */
      uploadTimeoutSeconds: number;
    },
  ): Promise<RegistrationResult> {
    if (rows.length === 0) return { registered: 0, inserted: 0, filesCreated: 0, announced: 0, misfit: null };
    const [result]: Array<Record<string, unknown>> = await manager.query(
      `WITH u AS (
         SELECT * FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[], $7::varchar[], $8::varchar[],
                              $9::replicas_state_enum[], $21::uuid[]) WITH ORDINALITY AS u(scope, name, bytes, adler32, md5, xxh64, path, state, guid, ord)
       ), d AS (
         SELECT u.*, f.did_type, f.bytes AS did_bytes, f.adler32 AS did_adler32, f.md5 AS did_md5, f.xxh64 AS did_xxh64, f.guid AS did_guid
           FROM u LEFT JOIN LATERAL (SELECT f.did_type, f.bytes, f.adler32, f.md5, f.xxh64, f.guid FROM dids f
                                      WHERE f.scope = u.scope AND f.name = u.name LIMIT 1) f ON true
       ), guided AS (
         UPDATE dids f SET guid = d.guid, updated_at = now() FROM d
          WHERE f.scope = d.scope AND f.name = d.name AND d.did_type = 'F' AND f.guid IS NULL AND d.guid IS NOT NULL
       ), created AS (
         INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5, xxh64, guid)
         SELECT d.scope, d.name, $11, 'F', d.bytes, d.adler32, d.md5, d.xxh64, d.guid
           FROM d
          WHERE $12 AND d.did_type IS NULL AND NOT EXISTS (SELECT 1 FROM deleted_dids x WHERE x.scope = d.scope AND x.name = d.name)
         ON CONFLICT (scope, name) DO NOTHING
         RETURNING scope, name, bytes
       ), misfit AS (
         SELECT * FROM d
          WHERE (d.did_type IS NULL AND NOT EXISTS (SELECT 1 FROM created c WHERE c.scope = d.scope AND c.name = d.name))
             OR d.did_type <> 'F' OR (did_bytes IS NOT NULL AND did_bytes <> bytes)
             OR (did_adler32 IS NOT NULL AND adler32 IS NOT NULL AND lower(did_adler32) <> lower(adler32))
             OR (did_md5 IS NOT NULL AND md5 IS NOT NULL AND lower(did_md5) <> lower(md5))
             OR (did_xxh64 IS NOT NULL AND xxh64 IS NOT NULL AND lower(did_xxh64) <> lower(xxh64))
          ORDER BY ord LIMIT 1
       ), written AS (
         INSERT INTO replicas AS r (scope, name, rse_id, bytes, adler32, md5, xxh64, path, state, tombstone)
         SELECT d.scope, d.name, $1, d.bytes, coalesce(d.adler32, d.did_adler32), coalesce(d.md5, d.did_md5),
                coalesce(d.xxh64, d.did_xxh64), d.path, CASE WHEN d.state = 'A' THEN 'C' ELSE d.state END, $10::timestamptz
           FROM d WHERE NOT EXISTS (SELECT 1 FROM misfit)
         ON CONFLICT (scope, name, rse_id) DO UPDATE
            SET state = EXCLUDED.state, bytes = EXCLUDED.bytes, adler32 = EXCLUDED.adler32, md5 = EXCLUDED.md5,
                xxh64 = EXCLUDED.xxh64, path = coalesce(EXCLUDED.path, r.path), error = NULL, updated_at = now()
          WHERE r.state NOT IN ('A', 'B')
         RETURNING r.scope, r.name, r.bytes, (r.xmax = 0) AS inserted
       ), verify AS (
         INSERT INTO replica_verifications AS v (scope, name, rse_id, account, written, not_before)
         SELECT w.scope, w.name, $1, $11, u.state = 'A',
                CASE WHEN u.state = 'A' THEN now() ELSE now() + make_interval(secs => $22::float8) END
           FROM written w JOIN u ON u.scope = w.scope AND u.name = w.name WHERE u.state IN ('A', 'C')
         ON CONFLICT (scope, name, rse_id) DO UPDATE
            SET account = EXCLUDED.account, attempts = 0, not_before = EXCLUDED.not_before, written = EXCLUDED.written, last_error = NULL
         RETURNING v.written
       ), usage AS (
         INSERT INTO rse_usage AS s (rse_id, source, used, files)
         SELECT $1, 'rucio', sum(bytes), count(*) FROM written WHERE inserted HAVING count(*) > 0
         ON CONFLICT (rse_id, source) DO UPDATE SET used = s.used + EXCLUDED.used, files = s.files + EXCLUDED.files, updated_at = now()
       ), file_events AS (
         INSERT INTO outbox_messages (topic, key, event_type, version, payload)
         SELECT $13, c.scope, $14, $15,
                jsonb_build_object('scope', c.scope, 'account', $11::text, 'count', count(*), 'names', jsonb_agg(c.name ORDER BY c.name))
           FROM (SELECT scope, name, (row_number() OVER (PARTITION BY scope ORDER BY name) - 1) / $20 AS chunk FROM created) c
          GROUP BY c.scope, c.chunk
       ), announce AS (
         INSERT INTO outbox_messages (topic, key, event_type, version, payload)
         SELECT $16, $1::text, $17, $18, jsonb_build_object('rse', $19::text, 'rseId', $1::uuid, 'count', count(*))
           FROM verify WHERE written HAVING count(*) > 0
       )
       SELECT (SELECT count(*) FROM written) AS registered, (SELECT count(*) FROM written WHERE inserted) AS inserted,
              (SELECT count(*) FROM created) AS files_created, (SELECT count(*) FROM verify WHERE written) AS announced,
              m.scope, m.name, m.did_type::text AS did_type, m.did_bytes, m.did_adler32, m.did_md5, m.did_xxh64
         FROM (SELECT 1) one LEFT JOIN misfit m ON true`,
      [
        rse.id,
        textArray(rows.map((r) => r.scope)),
        textArray(rows.map((r) => r.name)),
        plainArray(rows.map((r) => r.bytes)),
        textArray(rows.map((r) => r.adler32)),
        textArray(rows.map((r) => r.md5)),
        textArray(rows.map((r) => r.xxh64)),
        textArray(rows.map((r) => r.path)),
        textArray(rows.map((r) => r.state)),
        options.tombstone,
        options.account,
        options.createMissingFiles,
        options.filesCreated.topic,
        options.filesCreated.eventType,
        options.filesCreated.version,
        options.announced.topic,
        options.announced.eventType,
        options.announced.version,
        rse.rse,
        options.filesPerEvent,
        plainArray(rows.map((r) => r.guid ?? null)),
        options.uploadTimeoutSeconds,
      ],
    );
    if (result.scope !== null) {
      const file = rows.find((r) => r.scope === result.scope && r.name === result.name)!;
      return {
        registered: 0,
        inserted: 0,
        filesCreated: 0,
        announced: 0,
        misfit: {
          file,
          didType: result.did_type as DidType | null,
          didBytes: result.did_bytes === null ? null : Number(result.did_bytes),
          didAdler32: result.did_adler32 as string | null,
          didMd5: result.did_md5 as string | null,
          didXxh64: result.did_xxh64 as string | null,
        },
      };
    }
    return {
      registered: Number(result.registered),
      inserted: Number(result.inserted),
      filesCreated: Number(result.files_created),
      announced: Number(result.announced),
      misfit: null,
    };
  },

  /**
   * Sets these replicas AVAILABLE; returns those that were not yet, with their size and RSE name. Pass keys sorted
   * with sortReplicaKeys (rows are locked in that order).
   */
  async setAvailable(manager: EntityManager, replicas: readonly ReplicaKey[]): Promise<ChangedReplica[]> {
    if (replicas.length === 0) return [];
    await lockReplicaRows(manager, replicas);
    // Driven from the keys, with a primary-key probe per key (LATERAL ... LIMIT 1, see PROBE_RSE) that locks the
    // row, then updated by tuple id (a TID scan): no join for the planner to order. Planned from statistics, a
    // never-analysed replicas table made it probe replicas_rse_tombstone_idx and filter every replica of the RSE per key.
    const rows = await manager.query(
      `WITH target AS (
         SELECT r.ctid AS tid
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
           CROSS JOIN LATERAL (SELECT r.ctid FROM replicas r
                                WHERE r.scope = u.scope AND r.name = u.name AND ${PROBE_RSE('r', 'u')} AND r.state <> 'A'
                                LIMIT 1 FOR UPDATE) r
       ), changed AS (
         UPDATE replicas r SET state = 'A', error = NULL, updated_at = now()
          WHERE r.ctid = ANY(ARRAY(SELECT tid FROM target))
          RETURNING r.scope, r.name, r.rse_id, r.bytes
       )
       SELECT c.scope, c.name, c.rse_id, c.bytes, s.rse FROM changed c JOIN rses s ON s.id = c.rse_id`,
      keyArrays(replicas),
    );
    return rows.map(toChangedReplica);
  },

  /** Sets each replica's state; returns the keys of those that exist with their previous state. */
  async setStates(manager: EntityManager, rows: readonly ReplicaStateRow[]): Promise<ReplicaStateRow[]> {
    if (rows.length === 0) return [];
    const result = await manager.query(
      `WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::replicas_state_enum[]) AS u(scope, name, rse_id, state)),
            old AS (
              SELECT r.scope, r.name, r.rse_id, r.state FROM u JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
               ORDER BY r.scope, r.name, r.rse_id FOR UPDATE OF r
            ),
            changed AS (
              UPDATE replicas r SET state = u.state, updated_at = now()
                FROM u WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
            )
       SELECT scope, name, rse_id, state FROM old`,
      [...keyArrays(rows), rows.map((r) => r.state)],
    );
    return result.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      state: r.state,
    }));
  },

  /** Replicas (of the given keys) that exist, with lock count, size and RSE name. */
  /** The stored paths of these replicas (non-deterministic RSEs keep one), by `scope:name`; missing ones left out. */
  async storedPaths(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows: Array<{ scope: string; name: string; path: string }> = await manager.query(
      `SELECT r.scope, r.name, r.path FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
         JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id WHERE r.path IS NOT NULL`,
      keyArrays(keys),
    );
    return new Map(rows.map((r) => [`${r.scope}:${r.name}`, r.path]));
  },

  async find(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<Array<ReplicaStateRow & { bytes: number; lockCnt: number; rse: string }>> {
    const rows = await inStatements(keys, (slice) =>
      manager.query(
        `SELECT r.scope, r.name, r.rse_id, r.state, r.bytes, r.lock_cnt, s.rse
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
           JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
           JOIN rses s ON s.id = r.rse_id`,
        keyArrays(slice),
      ),
    );
    return rows.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState; bytes: string; lock_cnt: number; rse: string }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      state: r.state,
      bytes: Number(r.bytes),
      lockCnt: Number(r.lock_cnt),
      rse: r.rse,
    }));
  },

  /** Sets the tombstone of unlocked replicas; returns the number changed. */
  async setTombstones(manager: EntityManager, keys: readonly ReplicaKey[], tombstone: Date): Promise<number> {
    return countInStatements(keys, async (slice) => {
      const [, count] = await manager.query(
        `UPDATE replicas r SET tombstone = $4, updated_at = now()
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
          WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id AND r.lock_cnt = 0`,
        [...keyArrays(slice), tombstone],
      );
      return count as number;
    });
  },

  /**
   * Records a read: accessed_at and access_cnt of the replicas and their DIDs; an unlocked replica's tombstone
   * (unless the epoch) follows its last access, so least-recently-used replicas go first.
   */
  async touch(manager: EntityManager, keys: ReadonlyArray<ReplicaKey & { accessedAt: Date }>): Promise<number> {
    if (keys.length === 0) return 0;
    const params = [...keyArrays(keys), keys.map((k) => k.accessedAt)];
    const [, count] = await manager.query(
      `UPDATE replicas r
          SET accessed_at = GREATEST(coalesce(r.accessed_at, u.at), u.at), access_cnt = r.access_cnt + 1,
              tombstone = CASE WHEN r.tombstone IS NULL OR r.tombstone = 'epoch'::timestamptz OR r.lock_cnt > 0 THEN r.tombstone
                               ELSE GREATEST(coalesce(r.accessed_at, u.at), u.at) END
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::timestamptz[]) AS u(scope, name, rse_id, at)
        WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id`,
      params,
    );
    await manager.query(
      `UPDATE dids d SET accessed_at = GREATEST(coalesce(d.accessed_at, u.at), u.at), access_cnt = d.access_cnt + 1
         FROM (SELECT scope, name, max(at) AS at FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[]) AS x(scope, name, at)
                GROUP BY scope, name) u
        WHERE d.scope = u.scope AND d.name = u.name`,
      [keys.map((k) => k.scope), keys.map((k) => k.name), keys.map((k) => k.accessedAt)],
    );
    return count;
  },

  /**
   * SQL and parameters listing the replicas of the files at or below these DIDs, ordered by file. Collections and
   * files in `excludeScopes` (restricted scopes the reader may not read) are skipped below the given DIDs.
   */
  listQuery(
    dids: ReadonlyArray<{ scope: string; name: string }>,
    options: { states?: readonly ReplicaState[] | null; rseIds?: readonly string[] | null; excludeScopes?: readonly string[] },
  ): { sql: string; params: unknown[] } {
    const params: unknown[] = [dids.map((d) => d.scope), dids.map((d) => d.name), options.excludeScopes ?? []];
    let replicaFilter = '';
    if (options.states) {
      params.push(options.states);
      replicaFilter += ` AND r.state = ANY($${params.length}::replicas_state_enum[])`;
    }
    if (options.rseIds) {
      params.push(options.rseIds);
      replicaFilter += ` AND r.rse_id = ANY($${params.length}::uuid[])`;
    }
    return {
      sql: `WITH RECURSIVE tree(scope, name, did_type) AS (
              SELECT d.scope, d.name, d.did_type::text
                FROM unnest($1::varchar[], $2::varchar[]) AS i(scope, name) JOIN dids d ON d.scope = i.scope AND d.name = i.name
              UNION
              SELECT c.child_scope, c.child_name, c.child_type::text
                FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name
               WHERE t.did_type <> 'F' AND c.child_scope <> ALL($3::varchar[])
            ), files AS (SELECT DISTINCT scope, name FROM tree WHERE did_type = 'F')
            SELECT f.scope, f.name, d.bytes, d.adler32, d.md5, d.xxh64, r.rse_id, r.state, r.path, r.lock_cnt, r.tombstone,
                   r.accessed_at
              FROM files f
              JOIN LATERAL (SELECT d.bytes, d.adler32, d.md5, d.xxh64 FROM dids d WHERE d.scope = f.scope AND d.name = f.name LIMIT 1) d ON true
              LEFT JOIN LATERAL (SELECT r.rse_id, r.state, r.path, r.lock_cnt, r.tombstone, r.accessed_at FROM replicas r
                                  WHERE r.scope = f.scope AND r.name = f.name${replicaFilter} OFFSET 0) r ON true
             ORDER BY f.scope, f.name, r.rse_id`,
      params,
    };
  },

  toListRow(row: {
    scope: string; name: string; bytes: string | null; adler32: string | null; md5: string | null; xxh64: string | null;
    rse_id: string | null; state: ReplicaState | null; path: string | null; lock_cnt: number | null; tombstone: Date | null;
    accessed_at: Date | null;
  }): ReplicaListRow {
    return {
      scope: row.scope,
      name: row.name,
      bytes: row.bytes === null ? null : Number(row.bytes),
      adler32: row.adler32,
      md5: row.md5,
      xxh64: row.xxh64,
      rseId: row.rse_id,
      state: row.state,
      path: row.path,
      lockCnt: row.lock_cnt === null ? null : Number(row.lock_cnt),
      tombstone: row.tombstone,
      accessedAt: row.accessed_at,
    };
  },

  /** Names among these that are reserved by deleted DIDs. */
  async deletedNames(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>): Promise<Array<{ scope: string; name: string }>> {
    if (files.length === 0) return [];
    return manager.query(
      `SELECT x.scope, x.name FROM unnest($1::varchar[], $2::varchar[]) AS u(scope, name)
         JOIN deleted_dids x ON x.scope = u.scope AND x.name = u.name LIMIT 20`,
      [files.map((f) => f.scope), files.map((f) => f.name)],
    );
  },
};
