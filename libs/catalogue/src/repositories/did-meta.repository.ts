import { EntityManager } from 'typeorm';
import { inStatements } from '../database/bulk-statements.js';
import { DidType } from '@tarn/domain';
import { DidKey, openCursor } from './did.repository.js';

export type DidMetaValue = unknown;

/** Columns of `dids` that DID searches may filter on, with the type their values must have. */
export const DID_FILTER_COLUMNS = {
  name: 'string',
  account: 'string',
  did_type: 'didType',
  bytes: 'number',
  length: 'number',
  events: 'number',
  adler32: 'string',
  md5: 'string',
  guid: 'guid',
  created_at: 'date',
  updated_at: 'date',
  expired_at: 'date',
  closed_at: 'date',
  is_open: 'boolean',
  monotonic: 'boolean',
  obsolete: 'boolean',
} as const;

export type DidFilterColumn = keyof typeof DID_FILTER_COLUMNS;
export type DidFilterScalar = string | number | boolean | Date;
export type DidFilterOperator = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'like' | 'notlike';

/** One comparison: on a column of `dids` (`column` true) or on a key of the DID's JSON metadata. */
export interface DidFilterTerm {
  key: string;
  column: boolean;
  op: DidFilterOperator;
  /** An array for `in`; a LIKE pattern (%, _ and \ as in SQL) for `like`/`notlike`. */
  value: DidFilterScalar | DidFilterScalar[];
}

/** The terms of a group are AND-ed; the groups of a search are OR-ed. */
export interface DidFilterGroup {
  didTypes: DidType[];
  terms: DidFilterTerm[];
}

export interface DidSearch {
  scope: string;
  groups: DidFilterGroup[];
  limit?: number | null;
  offset?: number | null;
  /**
   * Also the content of the collections found, level by level, as Rucio's recursive list_dids: a DID below a hit is
   * a hit when it matches the filters with the name terms left out (any scope); only hits are descended into.
   */
  recursive?: boolean;
  /** Scopes the recursion must not enter (restricted scopes the caller may not read). */
  excludeScopes?: string[];
}

export interface DidSearchRow extends DidKey {
  didType: DidType;
  bytes: number | null;
  length: number | null;
}

export async function getDidMeta(manager: EntityManager, scope: string, name: string): Promise<Record<string, unknown>> {
  const rows = await manager.query(`SELECT meta FROM did_meta WHERE scope = $1 AND name = $2`, [scope, name]);
  return rows[0]?.meta ?? {};
}

/** The metadata of many DIDs in one statement, by `scope:name` (DIDs without any are left out). */
export async function getDidMetas(manager: EntityManager, keys: readonly DidKey[]): Promise<Map<string, Record<string, unknown>>> {
  if (keys.length === 0) return new Map();
  const rows: Array<DidKey & { meta: Record<string, unknown> }> = await manager.query(
    `SELECT m.scope, m.name, m.meta FROM did_meta m JOIN unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
        ON m.scope = k.scope AND m.name = k.name`,
    [keys.map((k) => k.scope), keys.map((k) => k.name)],
  );
  return new Map(rows.map((r) => [`${r.scope}:${r.name}`, r.meta]));
}

/** Merges each entry's keys into its DID's metadata (jsonb ||), one statement for all. */
export async function mergeDidMeta(manager: EntityManager, entries: (DidKey & { meta: Record<string, unknown> })[]): Promise<void> {
  const nonEmpty = entries.filter((e) => Object.keys(e.meta).length > 0);
  if (nonEmpty.length === 0) return;
  await inStatements(nonEmpty, async (slice) => {
    await manager.query(
      `INSERT INTO did_meta (scope, name, meta)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[])
       ON CONFLICT (scope, name) DO UPDATE SET meta = did_meta.meta || EXCLUDED.meta, updated_at = now()`,
      [slice.map((e) => e.scope), slice.map((e) => e.name), slice.map((e) => JSON.stringify(e.meta))],
    );
  });
}

/** Removes a key; false when the DID had no such key. */
export async function deleteDidMetaKey(manager: EntityManager, scope: string, name: string, key: string): Promise<boolean> {
  const [, count] = await manager.query(
    `UPDATE did_meta SET meta = meta - $3::text, updated_at = now() WHERE scope = $1 AND name = $2 AND meta ? $3`,
    [scope, name, key],
  );
  return count > 0;
}

const COLUMN_CAST: Record<string, string> = {
  string: 'varchar',
  number: 'numeric',
  date: 'timestamptz',
  boolean: 'boolean',
  didType: 'dids_did_type_enum',
  guid: 'uuid',
};

const SQL_OPERATOR: Record<string, string> = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };
const JSONPATH_OPERATOR: Record<string, string> = { eq: '==', ne: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' };

/** Builds a parameterised WHERE clause; values and keys are always bound, never spliced into the SQL. */
class FilterCompiler {
  readonly params: unknown[] = [];

  bind(value: unknown): string {
    this.params.push(value instanceof Date ? value.toISOString() : value);
    return `$${this.params.length}`;
  }

  group(group: DidFilterGroup): string {
    const parts = [`d.did_type = ANY(${this.bind(group.didTypes)}::dids_did_type_enum[])`];
    for (const term of group.terms) parts.push(term.column ? this.columnTerm(term) : this.metaTerm(term));
    return `(${parts.join(' AND ')})`;
  }

  private columnTerm(term: DidFilterTerm): string {
    const column = `d.${term.key}`;
    const cast = COLUMN_CAST[DID_FILTER_COLUMNS[term.key as DidFilterColumn]];
    switch (term.op) {
      case 'in':
        return `${column} = ANY(${this.bind(term.value)}::${cast}[])`;
      case 'like':
        return `${column}::text LIKE ${this.bind(term.value)} ESCAPE '\\'`;
      case 'notlike':
        return `(${column}::text NOT LIKE ${this.bind(term.value)} ESCAPE '\\' OR ${column} IS NULL)`;
      case 'ne':
        // As Rucio: "not equal" on a column also matches DIDs where the column is unset.
        return `(${column} <> ${this.bind(term.value)}::${cast} OR ${column} IS NULL)`;
      default:
        return `${column} ${SQL_OPERATOR[term.op]} ${this.bind(term.value)}::${cast}`;
    }
  }

  private metaTerm(term: DidFilterTerm): string {
    const has = () => `m.meta ? ${this.bind(term.key)}::text`;
    const text = () => `m.meta->>${this.bind(term.key)}::text`;
    switch (term.op) {
      case 'eq':
        return this.metaEquals(term.key, term.value as DidFilterScalar);
      case 'in':
        return `(${(term.value as DidFilterScalar[]).map((v) => this.metaEquals(term.key, v)).join(' OR ')})`;
      case 'ne':
        return `(${has()} AND NOT ${this.metaEquals(term.key, term.value as DidFilterScalar)})`;
      case 'like':
        return `(${has()} AND ${text()} LIKE ${this.bind(term.value)} ESCAPE '\\')`;
      case 'notlike':
        return `(${has()} AND ${text()} NOT LIKE ${this.bind(term.value)} ESCAPE '\\')`;
      default:
        // The key test lets the GIN index narrow the rows before the path expression runs.
        return `(${has()} AND ${this.metaPath(term.key, term.op, term.value as DidFilterScalar)})`;
    }
  }

  /**
   * Equality through jsonb containment, which the GIN index on did_meta.meta answers. Numbers and booleans also
   * match their text form, as values set from the command line arrive as strings.
   */
  private metaEquals(key: string, value: DidFilterScalar): string {
    if (value instanceof Date) return this.metaPath(key, 'eq', value);
    const candidates: unknown[] = [value];
    if (typeof value === 'number') candidates.push(String(value));
    if (typeof value === 'boolean') candidates.push(String(value), value ? 'True' : 'False');
    const tests = candidates.map((v) => `m.meta @> ${this.bind(JSON.stringify({ [key]: v }))}::jsonb`);
    return tests.length === 1 ? tests[0] : `(${tests.join(' OR ')})`;
  }

  /** Ordered comparison in SQL/JSON path; errors (a value of another type) count as no match. */
  private metaPath(key: string, op: DidFilterOperator, value: DidFilterScalar): string {
    const field = `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const jsonOp = JSONPATH_OPERATOR[op];
    if (value instanceof Date) {
      const path = `${field}.datetime() ? (@ ${jsonOp} $v.datetime())`;
      return `jsonb_path_exists_tz(m.meta, ${this.bind(path)}::jsonpath, ${this.bind(JSON.stringify({ v: value.toISOString() }))}::jsonb, true)`;
    }
    const path = typeof value === 'number' ? `${field}.double() ? (@ ${jsonOp} $v)` : `${field} ? (@ ${jsonOp} $v)`;
    return `jsonb_path_exists(m.meta, ${this.bind(path)}::jsonpath, ${this.bind(JSON.stringify({ v: value }))}::jsonb, true)`;
  }
}

/** The SQL of a DID search (exported for EXPLAIN in tests and benchmarks). */
export function didSearchSql(search: DidSearch): { sql: string; params: unknown[] } {
  const compiler = new FilterCompiler();
  const scope = compiler.bind(search.scope);
  const where = (groups: DidFilterGroup[]) => (groups.length > 0 ? groups.map((g) => compiler.group(g)).join(' OR ') : 'false');
  const usesMeta = search.groups.some((g) => g.terms.some((t) => !t.column));
  const metaJoin = usesMeta ? ' LEFT JOIN did_meta m ON m.scope = d.scope AND m.name = d.name' : '';
  const columns = 'd.scope, d.name, d.did_type AS "didType", d.bytes, d.length';
  let sql: string;
  if (search.recursive) {
    const below = search.groups.map((g) => ({ ...g, terms: g.terms.filter((t) => !(t.column && t.key === 'name')) }));
    sql = `WITH RECURSIVE hits(scope, name) AS (
             SELECT d.scope, d.name FROM dids d${metaJoin}
              WHERE d.scope = ${scope} AND NOT d.hidden AND (${where(search.groups)})
             UNION
             SELECT d.scope, d.name FROM hits h
               JOIN contents c ON c.scope = h.scope AND c.name = h.name
               JOIN dids d ON d.scope = c.child_scope AND d.name = c.child_name${metaJoin}
              WHERE NOT d.hidden AND NOT (d.scope = ANY(${compiler.bind(search.excludeScopes ?? [])}::varchar[])) AND (${where(below)})
           )
           SELECT ${columns} FROM hits h JOIN dids d ON d.scope = h.scope AND d.name = h.name
            ORDER BY d.name, d.scope`;
  } else {
    sql = `SELECT ${columns}
      FROM dids d${metaJoin}
     WHERE d.scope = ${scope} AND NOT d.hidden AND (${where(search.groups)})
     ORDER BY d.name`;
  }
  if (search.limit) sql += ` LIMIT ${compiler.bind(search.limit)}`;
  if (search.offset) sql += ` OFFSET ${compiler.bind(search.offset)}`;
  return { sql, params: compiler.params };
}

/** Cursor over the DIDs of a scope matching the search, ordered by name. */
export function openDidSearchCursor(
  manager: EntityManager,
  search: DidSearch,
  options: { batchSize?: number } = {},
): Promise<AsyncGenerator<DidSearchRow[]>> {
  const { sql, params } = didSearchSql(search);
  return openCursor<DidSearchRow>(manager, sql, params, {
    batchSize: options.batchSize,
    map: (r) => ({
      ...(r as unknown as DidSearchRow),
      bytes: r.bytes === null ? null : Number(r.bytes),
      length: r.length === null ? null : Number(r.length),
    }),
  });
}
