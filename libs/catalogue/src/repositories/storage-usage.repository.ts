import { EntityManager } from 'typeorm';
import { plainArray, textArray } from './replica.repository.js';

/** An RSE whose storage-reported usage is due for a refresh, with its protocols (best read priority first). */
export interface MeasurableRse {
  id: string;
  rse: string;
  protocols: Array<{ scheme: string; hostname: string; port: number; prefix: string; extendedAttributes: Record<string, unknown> | null }>;
}

export interface MeasuredUsage {
  rseId: string;
  used: number;
  free: number;
}

/** The usage source written from what the storage itself reports (StorageProtocol.space). */
export const STORAGE_SOURCE = 'storage';

export const storageUsageRepository = {
  /** Live RSEs with protocols whose 'storage' usage is older than `maxAgeSeconds` or absent (optionally only `rseNames`). */
  async dueRses(manager: EntityManager, maxAgeSeconds: number, rseNames: readonly string[] | null): Promise<MeasurableRse[]> {
    const rows = await manager.query(
      `SELECT s.id, s.rse,
              (SELECT json_agg(json_build_object('scheme', p.scheme, 'hostname', p.hostname, 'port', p.port, 'prefix', p.prefix,
                                                 'extendedAttributes', p.extended_attributes)
                               ORDER BY least(nullif(p.read_lan, 0), nullif(p.read_wan, 0)) NULLS LAST, p.scheme)
                 FROM rse_protocols p WHERE p.rse_id = s.id) AS protocols
         FROM rses s
        WHERE NOT s.deleted AND ($2::varchar[] IS NULL OR s.rse = ANY($2::varchar[]))
          AND EXISTS (SELECT 1 FROM rse_protocols p WHERE p.rse_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM rse_usage u WHERE u.rse_id = s.id AND u.source = '${STORAGE_SOURCE}'
                           AND u.updated_at > now() - make_interval(secs => $1::float8))
        ORDER BY s.rse`,
      [maxAgeSeconds, rseNames ? textArray(rseNames) : null],
    );
    return rows.map((r: MeasurableRse) => ({ id: r.id, rse: r.rse, protocols: r.protocols ?? [] }));
  },

  /** Writes the measured usage of several RSEs in one statement (source 'storage'; the files count is kept). */
  async record(manager: EntityManager, usage: readonly MeasuredUsage[]): Promise<void> {
    if (usage.length === 0) return;
    await manager.query(
      `INSERT INTO rse_usage (rse_id, source, used, free, files)
       SELECT u.rse_id, '${STORAGE_SOURCE}', u.used, u.free, 0
         FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS u(rse_id, used, free)
       ON CONFLICT (rse_id, source) DO UPDATE SET used = EXCLUDED.used, free = EXCLUDED.free, updated_at = now()`,
      [plainArray(usage.map((u) => u.rseId)), plainArray(usage.map((u) => u.used)), plainArray(usage.map((u) => u.free))],
    );
  },
};
