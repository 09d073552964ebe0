import { EntityManager } from 'typeorm';
import { DidType } from '@tarn/domain';
import { DidKey, openCursor } from './did.repository.js';

/** A parent/child edge of the namespace. */
export interface ContentPair {
  scope: string;
  name: string;
  childScope: string;
  childName: string;
}

export interface ContentRow extends DidKey {
  didType: DidType;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
}

/** A child that was detached (or went with its parent), from contents_history. */
export interface ContentHistoryRow extends ContentRow {
  /** When it was attached. */
  createdAt: Date;
  deletedAt: Date;
}

export interface ParentRow extends DidKey {
  didType: DidType;
}

/** How many children each parent gained or lost. */
export interface ParentChange extends DidKey {
  children: number;
}

const pairArrays = (pairs: ContentPair[]): string[][] => [
  pairs.map((p) => p.scope),
  pairs.map((p) => p.name),
  pairs.map((p) => p.childScope),
  pairs.map((p) => p.childName),
];

const PAIRS = `unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[]) AS p(scope, name, child_scope, child_name)`;

/** The pairs among `pairs` that are already edges. */
export async function findContents(manager: EntityManager, pairs: ContentPair[]): Promise<ContentPair[]> {
  if (pairs.length === 0) return [];
  return manager.query(
    `SELECT c.scope, c.name, c.child_scope AS "childScope", c.child_name AS "childName"
       FROM ${PAIRS} JOIN contents c
         ON c.scope = p.scope AND c.name = p.name AND c.child_scope = p.child_scope AND c.child_name = p.child_name`,
    pairArrays(pairs),
  );
}

/**
 * Inserts the edges (parent and child must exist; types, bytes and checksums are copied from the DIDs) and adds
 * each dataset parent's new files to its bytes and length, in one statement. Returns the children gained per parent.
 */
export async function insertContents(manager: EntityManager, pairs: ContentPair[]): Promise<ParentChange[]> {
  if (pairs.length === 0) return [];
  const rows = await manager.query(
    `WITH ins AS (
       INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5)
       SELECT p.scope, p.name, p.child_scope, p.child_name, parent.did_type::text::contents_did_type_enum,
              child.did_type::text::contents_child_type_enum, child.bytes, child.adler32, child.md5
         FROM ${PAIRS}
         JOIN dids parent ON parent.scope = p.scope AND parent.name = p.name
         JOIN dids child ON child.scope = p.child_scope AND child.name = p.child_name
       ON CONFLICT DO NOTHING
       RETURNING scope, name, did_type, bytes
     ), gained AS (
       SELECT scope, name, min(did_type::text) AS did_type, count(*) AS children, COALESCE(sum(bytes), 0) AS bytes
         FROM ins GROUP BY scope, name
     ), counters AS (
       UPDATE dids d SET bytes = COALESCE(d.bytes, 0) + g.bytes, length = COALESCE(d.length, 0) + g.children, updated_at = now()
         FROM gained g
        WHERE d.scope = g.scope AND d.name = g.name AND g.did_type = 'D'
     )
     SELECT scope, name, children FROM gained`,
    pairArrays(pairs),
  );
  return rows.map((r: ParentChange) => ({ ...r, children: Number(r.children) }));
}

/**
 * Removes the edges and takes each dataset parent's lost files off its bytes and length, in one statement.
 * Returns the edges that existed and were removed.
 */
export async function deleteContents(manager: EntityManager, pairs: ContentPair[]): Promise<ContentPair[]> {
  if (pairs.length === 0) return [];
  return manager.query(
    `WITH del AS (
       DELETE FROM contents c USING ${PAIRS}
        WHERE c.scope = p.scope AND c.name = p.name AND c.child_scope = p.child_scope AND c.child_name = p.child_name
       RETURNING c.scope, c.name, c.did_type, c.child_scope, c.child_name, c.bytes
     ), lost AS (
       SELECT scope, name, count(*) AS children, COALESCE(sum(bytes), 0) AS bytes FROM del WHERE did_type = 'D' GROUP BY scope, name
     ), counters AS (
       UPDATE dids d SET bytes = GREATEST(COALESCE(d.bytes, 0) - l.bytes, 0), length = GREATEST(COALESCE(d.length, 0) - l.children, 0),
              updated_at = now()
         FROM lost l
        WHERE d.scope = l.scope AND d.name = l.name
     )
     SELECT scope, name, child_scope AS "childScope", child_name AS "childName" FROM del`,
    pairArrays(pairs),
  );
}

/** Edges from every parent to the given DIDs (to detach them from everywhere, e.g. before deletion). */
export async function findParentEdges(manager: EntityManager, children: DidKey[]): Promise<ContentPair[]> {
  if (children.length === 0) return [];
  return manager.query(
    `SELECT c.scope, c.name, c.child_scope AS "childScope", c.child_name AS "childName"
       FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
       JOIN contents c ON c.child_scope = k.scope AND c.child_name = k.name`,
    [children.map((k) => k.scope), children.map((k) => k.name)],
  );
}

/** Removes every edge from the given parents to their children (the children stay). */
export async function deleteContentsOfParents(manager: EntityManager, parents: DidKey[]): Promise<number> {
  if (parents.length === 0) return 0;
  const [, count] = await manager.query(
    `DELETE FROM contents c USING unnest($1::varchar[], $2::varchar[]) AS k(scope, name) WHERE c.scope = k.scope AND c.name = k.name`,
    [parents.map((k) => k.scope), parents.map((k) => k.name)],
  );
  return count;
}

/**
 * After container edges were added: one edge (parent, child) whose parent is now reachable from its own child,
 * i.e. a cycle, or null. Follows container-to-container edges only (datasets never lead back to containers).
 */
export async function findContainerCycle(manager: EntityManager, pairs: ContentPair[]): Promise<ContentPair | null> {
  if (pairs.length === 0) return null;
  const rows = await manager.query(
    `WITH RECURSIVE down(scope, name, child_scope, child_name, at_scope, at_name) AS (
       SELECT p.scope, p.name, p.child_scope, p.child_name, p.child_scope, p.child_name FROM ${PAIRS}
       UNION
       SELECT d.scope, d.name, d.child_scope, d.child_name, c.child_scope, c.child_name
         FROM down d JOIN contents c ON c.scope = d.at_scope AND c.name = d.at_name AND c.child_type = 'C'
     )
     SELECT scope, name, child_scope AS "childScope", child_name AS "childName"
       FROM down WHERE at_scope = scope AND at_name = name LIMIT 1`,
    pairArrays(pairs),
  );
  return rows[0] ?? null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Cursor over the direct children of a collection, in key order, skipping `excludeScopes`. */
export function openContentCursor(
  manager: EntityManager,
  scope: string,
  name: string,
  options: { excludeScopes?: string[]; batchSize?: number } = {},
): Promise<AsyncGenerator<ContentRow[]>> {
  return openCursor<ContentRow>(
    manager,
    `SELECT c.child_scope AS scope, c.child_name AS name, c.child_type AS "didType", c.bytes, c.adler32, c.md5
       FROM contents c
      WHERE c.scope = $1 AND c.name = $2 AND NOT (c.child_scope = ANY($3::varchar[]))
      ORDER BY c.child_scope, c.child_name`,
    [scope, name, options.excludeScopes ?? []],
    { batchSize: options.batchSize, map: (r) => ({ ...(r as unknown as ContentRow), bytes: num(r.bytes) }) },
  );
}

/** A DID of a scope listing with its place in the tree: the collection it was reached from and how deep. */
export interface TreeRow extends DidKey {
  didType: DidType;
  parent: DidKey | null;
  level: number;
}

/**
 * Rucio's scope_list: the DIDs of a scope (those matching `namePattern`, a LIKE pattern; with none, those attached to
 * no collection), each followed depth-first by everything below it when `recursive`, with the collection it was
 * reached from and its depth. `excludeScopes` are left out below the top.
 */
export function openTreeCursor(
  manager: EntityManager,
  scope: string,
  namePattern: string | null,
  options: { recursive: boolean; excludeScopes?: string[]; batchSize?: number },
): Promise<AsyncGenerator<TreeRow[]>> {
  return openCursor<TreeRow>(
    manager,
    `WITH RECURSIVE tree(scope, name, did_type, parent_scope, parent_name, level, path) AS (
       SELECT d.scope, d.name, d.did_type::text, NULL::varchar, NULL::varchar, 0, ARRAY[d.scope || ':' || d.name]
         FROM dids d
        WHERE d.scope = $1
          AND CASE WHEN $2::varchar IS NULL
                   THEN NOT EXISTS (SELECT 1 FROM contents p WHERE p.child_scope = d.scope AND p.child_name = d.name)
                   ELSE d.name LIKE $2 END
       UNION ALL
       SELECT c.child_scope, c.child_name, c.child_type::text, t.scope, t.name, t.level + 1, t.path || (c.child_scope || ':' || c.child_name)
         FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name
        WHERE $3 AND t.did_type <> 'F' AND NOT (c.child_scope = ANY($4::varchar[]))
          AND NOT (c.child_scope || ':' || c.child_name = ANY(t.path))
     )
     SELECT scope, name, did_type AS "didType", parent_scope, parent_name, level FROM tree ORDER BY path`,
    [scope, namePattern, options.recursive, options.excludeScopes ?? []],
    {
      batchSize: options.batchSize,
      map: (r) => ({
        scope: r.scope as string,
        name: r.name as string,
        didType: r.didType as DidType,
        parent: r.parent_scope === null ? null : { scope: r.parent_scope as string, name: r.parent_name as string },
        level: Number(r.level),
      }),
    },
  );
}

/** Whether anything was ever detached from the DID. */
export async function hasContentHistory(manager: EntityManager, scope: string, name: string): Promise<boolean> {
  const rows = await manager.query(`SELECT 1 FROM contents_history WHERE scope = $1 AND name = $2 LIMIT 1`, [scope, name]);
  return rows.length > 0;
}

/** Cursor over what was detached from a DID (contents_history), oldest first, skipping `excludeScopes`. */
export function openContentHistoryCursor(
  manager: EntityManager,
  scope: string,
  name: string,
  options: { excludeScopes?: string[]; batchSize?: number } = {},
): Promise<AsyncGenerator<ContentHistoryRow[]>> {
  return openCursor<ContentHistoryRow>(
    manager,
    `SELECT h.child_scope AS scope, h.child_name AS name, h.child_type::text AS "didType", h.bytes, h.adler32, h.md5,
            h.created_at AS "createdAt", h.deleted_at AS "deletedAt"
       FROM contents_history h
      WHERE h.scope = $1 AND h.name = $2 AND NOT (h.child_scope = ANY($3::varchar[]))
      ORDER BY h.deleted_at, h.history_id`,
    [scope, name, options.excludeScopes ?? []],
    { batchSize: options.batchSize, map: (r) => ({ ...(r as unknown as ContentHistoryRow), bytes: num(r.bytes) }) },
  );
}

/** Cursor over the direct parents of a DID, skipping `excludeScopes`. */
export function openParentCursor(
  manager: EntityManager,
  scope: string,
  name: string,
  options: { excludeScopes?: string[]; batchSize?: number } = {},
): Promise<AsyncGenerator<ParentRow[]>> {
  return openCursor<ParentRow>(
    manager,
    `SELECT c.scope, c.name, c.did_type AS "didType"
       FROM contents c
      WHERE c.child_scope = $1 AND c.child_name = $2 AND NOT (c.scope = ANY($3::varchar[]))
      ORDER BY c.scope, c.name`,
    [scope, name, options.excludeScopes ?? []],
    { batchSize: options.batchSize },
  );
}
