import { EntityManager } from 'typeorm';
import { countInStatements, inStatements, mapYielding } from '../database/bulk-statements.js';
import { DidAvailability, DidType } from '@tarn/domain';
import { exceptedDid } from './lifetime-exception.repository.js';

export interface DidKey {
  scope: string;
  name: string;
}

export interface NewDidRow extends DidKey {
  account: string;
  didType: DidType;
  isOpen: boolean | null;
  monotonic: boolean;
  bytes: number | null;
  length: number | null;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  guid: string | null;
  events: number | null;
  expiredAt: Date | null;
}

export interface DidRow extends NewDidRow {
  hidden: boolean;
  obsolete: boolean;
  complete: boolean | null;
  availability: DidAvailability;
  purgeReplicas: boolean;
  closedAt: Date | null;
  accessedAt: Date | null;
  accessCnt: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A file below a DID, with the dataset it is directly attached to (null when the DID is the file itself). */
export interface RecursiveFileRow extends DidKey {
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  datasetScope: string | null;
  datasetName: string | null;
}

export interface FileRow extends DidKey {
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  guid: string | null;
  events: number | null;
}

export interface ExpiredDidRow extends DidKey {
  didType: DidType;
  expiredAt: Date;
  purgeReplicas: boolean;
}

const num = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

const DID_COLUMNS = `d.scope, d.name, d.account, d.did_type AS "didType", d.is_open AS "isOpen", d.monotonic, d.hidden,
  d.obsolete, d.complete, d.availability, d.bytes, d.length, d.adler32, d.md5, d.xxh64, d.guid, d.events,
  d.expired_at AS "expiredAt", d.purge_replicas AS "purgeReplicas", d.closed_at AS "closedAt",
  d.accessed_at AS "accessedAt", d.access_cnt AS "accessCnt", d.created_at AS "createdAt", d.updated_at AS "updatedAt"`;

function toDidRow(row: Record<string, unknown>): DidRow {
  return {
    ...(row as unknown as DidRow),
    bytes: num(row.bytes as string | null),
    length: num(row.length as string | null),
    events: num(row.events as string | null),
    accessCnt: Number(row.accessCnt),
  };
}

const keyArrays = (keys: DidKey[]): [string[], string[]] => [keys.map((k) => k.scope), keys.map((k) => k.name)];

/** Names among `keys` already taken by a live DID or reserved by a deleted one. */
export async function findTakenDidNames(manager: EntityManager, keys: DidKey[]): Promise<(DidKey & { deleted: boolean })[]> {
  return inStatements(keys, (slice) =>
    manager.query(
      `SELECT k.scope, k.name, (d.scope IS NULL) AS deleted
         FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
         LEFT JOIN dids d ON d.scope = k.scope AND d.name = k.name
         LEFT JOIN deleted_dids dd ON dd.scope = k.scope AND dd.name = k.name
        WHERE d.scope IS NOT NULL OR dd.scope IS NOT NULL`,
      keyArrays(slice),
    ),
  );
}

/** One statement for the whole batch; names reserved by deleted DIDs are skipped. Returns how many were inserted. */
export async function insertDids(manager: EntityManager, rows: NewDidRow[]): Promise<number> {
  return countInStatements(rows, async (slice) => {
    const column = <K extends keyof NewDidRow>(key: K) => slice.map((r) => r[key]);
    const [{ inserted }] = await manager.query(
      `WITH ins AS (
       INSERT INTO dids (scope, name, account, did_type, is_open, monotonic, bytes, length, adler32, md5, xxh64, guid, events, expired_at)
       SELECT u.* FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::dids_did_type_enum[], $5::boolean[], $6::boolean[],
                              $7::bigint[], $8::bigint[], $9::varchar[], $10::varchar[], $11::varchar[], $12::uuid[], $13::bigint[],
                              $14::timestamptz[])
              AS u(scope, name, account, did_type, is_open, monotonic, bytes, length, adler32, md5, xxh64, guid, events, expired_at)
        WHERE NOT EXISTS (SELECT 1 FROM deleted_dids dd WHERE dd.scope = u.scope AND dd.name = u.name)
       RETURNING 1)
       SELECT count(*)::int AS inserted FROM ins`,
      [
        column('scope'), column('name'), column('account'), column('didType'), column('isOpen'), column('monotonic'),
        column('bytes'), column('length'), column('adler32'), column('md5'), column('xxh64'), column('guid'), column('events'),
        column('expiredAt'),
      ],
    );
    return inserted as number;
  });
}

export async function findDid(manager: EntityManager, scope: string, name: string, options: { lock?: boolean } = {}): Promise<DidRow | null> {
  const rows = await manager.query(
    `SELECT ${DID_COLUMNS} FROM dids d WHERE d.scope = $1 AND d.name = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [scope, name],
  );
  return rows[0] ? toDidRow(rows[0]) : null;
}

/** The DIDs among `keys` that exist; `lock` takes row locks (in key order, to avoid deadlocks between writers). */
export async function findDids(manager: EntityManager, keys: DidKey[], options: { lock?: boolean } = {}): Promise<DidRow[]> {
  if (keys.length === 0) return [];
  const select = (slice: DidKey[]) =>
    manager.query(
      `SELECT ${DID_COLUMNS}
         FROM dids d JOIN unnest($1::varchar[], $2::varchar[]) AS k(scope, name) ON d.scope = k.scope AND d.name = k.name
        ORDER BY d.scope, d.name${options.lock ? ' FOR UPDATE OF d' : ''}`,
      keyArrays(slice),
    );
  // Row locks are taken in one statement, in one order; reads go a slice at a time.
  const rows: Record<string, unknown>[] = options.lock ? await select(keys) : await inStatements(keys, select);
  return mapYielding(rows, toDidRow);
}

/** The files with this GUID and the datasets (or other collections) they are directly in, skipping `excludeScopes`. */
export async function findByGuid(
  manager: EntityManager,
  guid: string,
  excludeScopes: readonly string[],
): Promise<{ files: DidKey[]; parents: DidKey[] }> {
  const files: DidKey[] = await manager.query(
    `SELECT scope, name FROM dids WHERE guid = $1::uuid AND did_type = 'F' AND NOT (scope = ANY($2::varchar[])) ORDER BY scope, name LIMIT 1000`,
    [guid, excludeScopes],
  );
  if (files.length === 0) return { files, parents: [] };
  const parents: DidKey[] = await manager.query(
    `SELECT DISTINCT c.scope, c.name FROM contents c JOIN unnest($1::varchar[], $2::varchar[]) AS f(scope, name)
        ON c.child_scope = f.scope AND c.child_name = f.name
      WHERE NOT (c.scope = ANY($3::varchar[])) ORDER BY c.scope, c.name`,
    [...keyArrays(files), excludeScopes],
  );
  return { files, parents };
}

/** What attaching needs to know of each child: type, availability, size and checksums (a light findDids). */
export interface DidKindRow extends DidKey {
  didType: DidType;
  availability: DidAvailability;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
}

export async function findDidKinds(manager: EntityManager, keys: DidKey[]): Promise<DidKindRow[]> {
  if (keys.length === 0) return [];
  const rows = await manager.query(
    `SELECT d.scope, d.name, d.did_type AS "didType", d.availability, d.bytes, d.adler32, d.md5
       FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name) JOIN dids d ON d.scope = k.scope AND d.name = k.name`,
    keyArrays(keys),
  );
  return rows.map((r: DidKindRow) => ({ ...r, bytes: num(r.bytes) }));
}

/**
 * Closes an open collection, stamping closed_at and freezing its totals: a dataset counts its files, a container
 * the distinct files below it. Returns the updated row, or null when it was not an open collection.
 */
export async function closeDid(manager: EntityManager, scope: string, name: string): Promise<DidRow | null> {
  const [rows] = await manager.query(
    `WITH RECURSIVE tree(scope, name) AS (
       SELECT $1::varchar, $2::varchar
       UNION
       SELECT c.child_scope, c.child_name FROM contents c JOIN tree t ON c.scope = t.scope AND c.name = t.name
        WHERE c.child_type <> 'F'
     ), files AS (
       SELECT DISTINCT c.child_scope, c.child_name, c.bytes
         FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
     ), totals AS (SELECT count(*) AS length, COALESCE(sum(bytes), 0) AS bytes FROM files)
     UPDATE dids d SET is_open = false, closed_at = now(), updated_at = now(), bytes = totals.bytes, length = totals.length
       FROM totals
      WHERE d.scope = $1 AND d.name = $2 AND d.did_type <> 'F' AND d.is_open
     RETURNING ${DID_COLUMNS}`,
    [scope, name],
  );
  return rows[0] ? toDidRow(rows[0]) : null;
}

/** Reopens a closed collection; a container's frozen totals are cleared (they are only kept while closed). */
export async function reopenDid(manager: EntityManager, scope: string, name: string): Promise<DidRow | null> {
  const [rows] = await manager.query(
    `UPDATE dids d SET is_open = true, closed_at = NULL, updated_at = now(),
            bytes = CASE WHEN d.did_type = 'C' THEN NULL ELSE d.bytes END,
            length = CASE WHEN d.did_type = 'C' THEN NULL ELSE d.length END
      WHERE d.scope = $1 AND d.name = $2 AND d.did_type <> 'F' AND NOT d.is_open
     RETURNING ${DID_COLUMNS}`,
    [scope, name],
  );
  return rows[0] ? toDidRow(rows[0]) : null;
}

/**
 * Live totals of a collection, as Rucio's dynamic depth: FILE counts the distinct files below it, DATASET sums the
 * stored totals of the datasets below it (cheaper, but a file in two datasets counts twice).
 */
export async function resolveDidTotals(
  manager: EntityManager,
  scope: string,
  name: string,
  depth: DidType.FILE | DidType.DATASET,
): Promise<{ bytes: number; length: number; events: number }> {
  const datasets = `WITH RECURSIVE tree(scope, name, did_type) AS (
       SELECT d.scope, d.name, d.did_type::text FROM dids d WHERE d.scope = $1 AND d.name = $2
       UNION
       SELECT c.child_scope, c.child_name, c.child_type::text FROM contents c JOIN tree t ON c.scope = t.scope AND c.name = t.name
        WHERE c.did_type = 'C'
     ), datasets AS (SELECT scope, name FROM tree WHERE did_type = 'D')`;
  const sql =
    depth === DidType.DATASET
      ? `${datasets}
         SELECT COALESCE(sum(d.length), 0) AS length, COALESCE(sum(d.bytes), 0) AS bytes, COALESCE(sum(d.events), 0) AS events
           FROM datasets ds JOIN dids d ON d.scope = ds.scope AND d.name = ds.name`
      : `${datasets}, files AS (
           SELECT DISTINCT c.child_scope, c.child_name, c.bytes
             FROM datasets ds JOIN contents c ON c.scope = ds.scope AND c.name = ds.name
         )
         SELECT count(*) AS length, COALESCE(sum(files.bytes), 0) AS bytes, COALESCE(sum(f.events), 0) AS events
           FROM files LEFT JOIN dids f ON f.scope = files.child_scope AND f.name = files.child_name`;
  const rows = await manager.query(sql, [scope, name]);
  return { bytes: Number(rows[0].bytes), length: Number(rows[0].length), events: Number(rows[0].events) };
}

export async function setDidExpiry(manager: EntityManager, keys: DidKey[], expiredAt: Date | null): Promise<number> {
  if (keys.length === 0) return 0;
  const [, count] = await manager.query(
    `UPDATE dids d SET expired_at = $3, updated_at = now()
       FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
      WHERE d.scope = k.scope AND d.name = k.name`,
    [...keyArrays(keys), expiredAt],
  );
  return count;
}

/**
 * Expired DIDs that no locked rule protects and no approved lifetime exception keeps, oldest expiry first. Rows are locked (SKIP LOCKED), so concurrent
 * undertakers share the work; call it inside the unit of work that deletes them.
 */
export async function listExpiredDids(manager: EntityManager, now: Date, limit: number): Promise<ExpiredDidRow[]> {
  return manager.query(
    `SELECT d.scope, d.name, d.did_type AS "didType", d.expired_at AS "expiredAt", d.purge_replicas AS "purgeReplicas"
       FROM dids d
      WHERE d.expired_at IS NOT NULL AND d.expired_at < $1
        AND NOT EXISTS (SELECT 1 FROM rules r WHERE r.scope = d.scope AND r.name = d.name AND r.locked)
        AND NOT ${exceptedDid('d', '$1')}
      ORDER BY d.expired_at
      LIMIT $2
      FOR UPDATE OF d SKIP LOCKED`,
    [now, limit],
  );
}

/** Moves DIDs to deleted_dids (their names stay reserved) and drops their metadata; returns the keys moved. */
export async function moveDidsToDeleted(manager: EntityManager, keys: DidKey[]): Promise<DidKey[]> {
  if (keys.length === 0) return [];
  return manager.query(
    `WITH k AS (SELECT * FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)),
     gone AS (
       DELETE FROM dids d USING k WHERE d.scope = k.scope AND d.name = k.name
       RETURNING d.scope, d.name, d.account, d.did_type, d.bytes, d.adler32, d.md5
     ), meta AS (
       DELETE FROM did_meta m USING k WHERE m.scope = k.scope AND m.name = k.name
     )
     INSERT INTO deleted_dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT scope, name, account, did_type::text::deleted_dids_did_type_enum, bytes, adler32, md5 FROM gone
     ON CONFLICT (scope, name) DO UPDATE SET deleted_at = now()
     RETURNING scope, name`,
    keyArrays(keys),
  );
}

let cursorSequence = 0;

/**
 * Declares a server-side cursor for `sql` (inside the caller's transaction, which must stay open while reading)
 * and returns a generator fetching it in batches: the result is never all in memory. The DECLARE runs at once,
 * so errors in the query surface here rather than at the first read.
 */
export async function openCursor<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
  options: { batchSize?: number; map?: (row: Record<string, unknown>) => T } = {},
): Promise<AsyncGenerator<T[]>> {
  const cursor = `tarn_cursor_${++cursorSequence}`;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
  const map = options.map ?? ((row: Record<string, unknown>) => row as T);
  await manager.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params);
  return (async function* batches() {
    for (;;) {
      const rows: Record<string, unknown>[] = await manager.query(`FETCH ${batchSize} FROM ${cursor}`);
      if (rows.length > 0) yield rows.map(map);
      if (rows.length < batchSize) {
        await manager.query(`CLOSE ${cursor}`);
        return;
      }
    }
  })();
}

const TREE_BELOW = `WITH RECURSIVE tree(scope, name) AS (
       SELECT $1::varchar, $2::varchar
       UNION
       SELECT c.child_scope, c.child_name FROM contents c JOIN tree t ON c.scope = t.scope AND c.name = t.name
        WHERE c.child_type <> 'F' AND NOT (c.child_scope = ANY($3::varchar[]))
     )`;

/**
 * Every file below a DID (recursive over containers and datasets), each with the dataset it is directly in; a file
 * in two datasets appears twice. When the DID is itself a file, it is the only row (dataset null).
 */
export async function listFilesRecursive(manager: EntityManager, scope: string, name: string): Promise<RecursiveFileRow[]> {
  const rows = await manager.query(
    `${TREE_BELOW}
     SELECT c.child_scope AS scope, c.child_name AS name, c.bytes, c.adler32, c.md5, c.scope AS "datasetScope", c.name AS "datasetName"
       FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
     UNION ALL
     SELECT d.scope, d.name, d.bytes, d.adler32, d.md5, NULL, NULL FROM dids d WHERE d.scope = $1 AND d.name = $2 AND d.did_type = 'F'`,
    [scope, name, []],
  );
  return rows.map((r: RecursiveFileRow) => ({ ...r, bytes: num(r.bytes) }));
}

/** Up to `count` distinct files below a collection, picked at random, skipping `excludeScopes`. */
export async function sampleFiles(manager: EntityManager, scope: string, name: string, count: number, excludeScopes: readonly string[]): Promise<DidKey[]> {
  return manager.query(
    `${TREE_BELOW}
     SELECT scope, name FROM (
       SELECT DISTINCT c.child_scope AS scope, c.child_name AS name
         FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
        WHERE NOT (c.child_scope = ANY($3::varchar[]))
     ) f ORDER BY random() LIMIT $4`,
    [scope, name, excludeScopes, count],
  );
}

/** Cursor over the distinct files below a collection, ordered by scope and name, skipping `excludeScopes`. */
export function openFilesCursor(
  manager: EntityManager,
  scope: string,
  name: string,
  options: { excludeScopes?: string[]; batchSize?: number } = {},
): Promise<AsyncGenerator<FileRow[]>> {
  return openCursor<FileRow>(
    manager,
    `${TREE_BELOW}
     SELECT DISTINCT ON (f.scope, f.name) f.scope, f.name, f.bytes, f.adler32, f.md5, f.xxh64, f.guid, f.events
       FROM tree t
       JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
       JOIN dids f ON f.scope = c.child_scope AND f.name = c.child_name
      WHERE NOT (f.scope = ANY($3::varchar[]))
      ORDER BY f.scope, f.name`,
    [scope, name, options.excludeScopes ?? []],
    { batchSize: options.batchSize, map: (r) => ({ ...(r as unknown as FileRow), bytes: num(r.bytes as string), events: num(r.events as string) }) },
  );
}
