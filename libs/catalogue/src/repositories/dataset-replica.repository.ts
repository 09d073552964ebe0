import { EntityManager } from 'typeorm';
import type { DidKey } from './did.repository.js';

/** How much of a collection an RSE holds (Rucio's dataset replica): its files there, and those AVAILABLE. */
export interface DatasetReplicaRow extends DidKey {
  rse: string;
  rseId: string;
  /** Files and bytes of the whole collection. */
  length: number;
  bytes: number;
  /** Files of the collection with a replica (in any state) on the RSE. */
  files: number;
  availableLength: number;
  availableBytes: number;
  createdAt: Date;
  updatedAt: Date;
  accessedAt: Date | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function toRow(r: any): DatasetReplicaRow {
  return {
    scope: r.scope,
    name: r.name,
    rse: r.rse,
    rseId: r.rse_id,
    length: Number(r.length),
    bytes: Number(r.bytes),
    files: Number(r.files),
    availableLength: Number(r.available_length),
    availableBytes: Number(r.available_bytes),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    accessedAt: r.accessed_at,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Rucio's dataset replicas (its collection_replicas), computed from the file replicas in one statement. */
export const datasetReplicaRepository = {
  /**
   * Per collection asked and per RSE: the collection's files (at any depth) replicated there, and their totals.
   * Collections or files in `excludeScopes` are left out below the collections asked.
   */
  async ofDids(manager: EntityManager, dids: readonly DidKey[], excludeScopes: readonly string[]): Promise<DatasetReplicaRow[]> {
    if (dids.length === 0) return [];
    const rows = await manager.query(
      `WITH RECURSIVE tree(top_scope, top_name, scope, name) AS (
         SELECT u.scope, u.name, u.scope, u.name FROM unnest($1::varchar[], $2::varchar[]) AS u(scope, name)
         UNION
         SELECT t.top_scope, t.top_name, c.child_scope, c.child_name
           FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name
          WHERE c.child_type <> 'F' AND NOT (c.child_scope = ANY($3::varchar[]))
       ), files AS (
         SELECT DISTINCT t.top_scope, t.top_name, c.child_scope AS scope, c.child_name AS name, coalesce(c.bytes, 0) AS bytes
           FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
          WHERE NOT (c.child_scope = ANY($3::varchar[]))
       ), totals AS (
         SELECT top_scope, top_name, count(*) AS length, sum(bytes) AS bytes FROM files GROUP BY top_scope, top_name
       ), per_rse AS (
         SELECT f.top_scope, f.top_name, r.rse_id, count(*) AS files,
                count(*) FILTER (WHERE r.state = 'A') AS available_length,
                coalesce(sum(f.bytes) FILTER (WHERE r.state = 'A'), 0) AS available_bytes,
                min(r.created_at) AS created_at, max(r.updated_at) AS updated_at, max(r.accessed_at) AS accessed_at
           FROM files f JOIN replicas r ON r.scope = f.scope AND r.name = f.name
          GROUP BY f.top_scope, f.top_name, r.rse_id
       )
       SELECT p.top_scope AS scope, p.top_name AS name, s.rse, p.rse_id, t.length, t.bytes, p.files, p.available_length,
              p.available_bytes, p.created_at, p.updated_at, p.accessed_at
         FROM per_rse p JOIN totals t ON t.top_scope = p.top_scope AND t.top_name = p.top_name
         JOIN rses s ON s.id = p.rse_id
        ORDER BY p.top_scope, p.top_name, s.rse`,
      [dids.map((d) => d.scope), dids.map((d) => d.name), excludeScopes],
    );
    return rows.map(toRow);
  },

  /**
   * The datasets with files on an RSE (Rucio's list_datasets_per_rse), by name, for a cursor (map rows with
   * toDatasetReplicaRow); datasets of `excludeScopes` left out.
   */
  onRseQuery(rseId: string, excludeScopes: readonly string[], limit: number | null): { sql: string; params: unknown[] } {
    return {
      sql: `WITH per AS (
              SELECT c.scope, c.name, count(*) AS files,
                     count(*) FILTER (WHERE r.state = 'A') AS available_length,
                     coalesce(sum(r.bytes) FILTER (WHERE r.state = 'A'), 0) AS available_bytes,
                     min(r.created_at) AS created_at, max(r.updated_at) AS updated_at, max(r.accessed_at) AS accessed_at
                FROM replicas r JOIN contents c ON c.child_scope = r.scope AND c.child_name = r.name AND c.did_type = 'D'
               WHERE r.rse_id = $1 AND NOT (c.scope = ANY($2::varchar[]))
               GROUP BY c.scope, c.name
            )
            SELECT p.scope, p.name, s.rse, s.id AS rse_id, coalesce(d.length, p.files) AS length, coalesce(d.bytes, 0) AS bytes,
                   p.files, p.available_length, p.available_bytes, p.created_at, p.updated_at, p.accessed_at
              FROM per p JOIN rses s ON s.id = $1 LEFT JOIN dids d ON d.scope = p.scope AND d.name = p.name
             ORDER BY p.scope, p.name${limit === null ? '' : ' LIMIT $3'}`,
      params: limit === null ? [rseId, excludeScopes] : [rseId, excludeScopes, limit],
    };
  },
};

export const toDatasetReplicaRow = toRow;
