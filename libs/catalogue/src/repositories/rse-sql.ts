import { EntityManager } from 'typeorm';

/**
 * Rows a `DELETE ... RETURNING 1` statement deleted. The DELETE runs inside a CTE: TypeORM answers a bare
 * DELETE or UPDATE with [rows, affected] instead of the rows.
 */
export async function countDeleted(manager: EntityManager, deleteReturning: string, parameters: unknown[]): Promise<number> {
  const rows: { n: number }[] = await manager.query(`WITH gone AS (${deleteReturning}) SELECT count(*)::int AS n FROM gone`, parameters);
  return rows[0].n;
}

export async function deletedAny(manager: EntityManager, deleteReturning: string, parameters: unknown[]): Promise<boolean> {
  return (await countDeleted(manager, deleteReturning, parameters)) > 0;
}
