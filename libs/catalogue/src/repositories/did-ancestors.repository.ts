import { EntityManager } from 'typeorm';
import type { DidKey } from './did.repository.js';

/**
 * Every ancestor (parent, grandparent, ...) of each given DID as 'scope:name', sorted; DIDs without any parent are
 * left out of the map; ancestors in `excludeScopes` are left out (the walk still goes through them). One statement for the whole batch (Rucio's list_all_parent_dids, per file of a listing).
 */
export async function listAncestors(
  manager: EntityManager,
  dids: readonly DidKey[],
  options: { excludeScopes?: readonly string[] } = {},
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (dids.length === 0) return result;
  const rows: { scope: string; name: string; ancestors: string[] }[] = await manager.query(
    `WITH RECURSIVE up(child_scope, child_name, scope, name) AS (
       SELECT i.scope, i.name, c.scope, c.name
         FROM unnest($1::varchar[], $2::varchar[]) AS i(scope, name)
         JOIN contents c ON c.child_scope = i.scope AND c.child_name = i.name
       UNION
       SELECT u.child_scope, u.child_name, c.scope, c.name
         FROM up u JOIN contents c ON c.child_scope = u.scope AND c.child_name = u.name
     )
     SELECT child_scope AS scope, child_name AS name, array_agg(scope || ':' || name ORDER BY scope, name) AS ancestors
       FROM up WHERE NOT (scope = ANY($3::varchar[])) GROUP BY child_scope, child_name`,
    [dids.map((d) => d.scope), dids.map((d) => d.name), options.excludeScopes ?? []],
  );
  for (const row of rows) result.set(`${row.scope}:${row.name}`, row.ancestors);
  return result;
}
