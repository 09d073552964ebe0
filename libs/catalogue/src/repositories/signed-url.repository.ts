import { EntityManager } from 'typeorm';
import type { DidKey } from './did.repository.js';

/** The replicas stored at `path` on a (non-deterministic) RSE; uses replicas_rse_path_uq. */
export async function findReplicasAtPath(manager: EntityManager, rseId: string, path: string): Promise<DidKey[]> {
  return manager.query(`SELECT scope, name FROM replicas WHERE rse_id = $1 AND path = $2 ORDER BY scope, name LIMIT 10`, [rseId, path]);
}
