import { EntityManager } from 'typeorm';
import { deletedAny } from './rse-sql.js';

export interface DistanceRecord {
  srcRseId: string;
  srcRse: string;
  destRseId: string;
  destRse: string;
  distance: number;
  updatedAt: Date;
}

export async function upsertDistance(manager: EntityManager, srcRseId: string, destRseId: string, distance: number): Promise<void> {
  await manager.query(
    `INSERT INTO distances (src_rse_id, dest_rse_id, distance) VALUES ($1, $2, $3)
     ON CONFLICT (src_rse_id, dest_rse_id) DO UPDATE SET distance = EXCLUDED.distance, updated_at = now()`,
    [srcRseId, destRseId, distance],
  );
}

/** Distances from and/or to the given RSEs (all when neither is given), between live RSEs only. */
export async function listDistances(
  manager: EntityManager,
  filter: { srcRseId?: string; destRseId?: string } = {},
): Promise<DistanceRecord[]> {
  return manager.query(
    `SELECT d.src_rse_id AS "srcRseId", s.rse AS "srcRse", d.dest_rse_id AS "destRseId", t.rse AS "destRse",
            d.distance, d.updated_at AS "updatedAt"
       FROM distances d
       JOIN rses s ON s.id = d.src_rse_id AND NOT s.deleted
       JOIN rses t ON t.id = d.dest_rse_id AND NOT t.deleted
      WHERE ($1::uuid IS NULL OR d.src_rse_id = $1) AND ($2::uuid IS NULL OR d.dest_rse_id = $2)
      ORDER BY s.rse, t.rse`,
    [filter.srcRseId ?? null, filter.destRseId ?? null],
  );
}

/** True when the distance existed. */
export async function deleteDistance(manager: EntityManager, srcRseId: string, destRseId: string): Promise<boolean> {
  return deletedAny(manager, `DELETE FROM distances WHERE src_rse_id = $1 AND dest_rse_id = $2 RETURNING 1`, [srcRseId, destRseId]);
}
