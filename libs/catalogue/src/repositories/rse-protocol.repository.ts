import { EntityManager } from 'typeorm';
import { countDeleted } from './rse-sql.js';

/** The priority columns: 0 means the protocol does not offer the operation, 1 is the most preferred. */
export interface RseProtocolPriorities {
  readLan: number;
  writeLan: number;
  deleteLan: number;
  readWan: number;
  writeWan: number;
  deleteWan: number;
  thirdPartyCopyRead: number;
  thirdPartyCopyWrite: number;
}

export interface RseProtocolKey {
  scheme: string;
  hostname: string;
  port: number;
}

export interface RseProtocolRecord extends RseProtocolKey, RseProtocolPriorities {
  rseId: string;
  prefix: string;
  impl: string;
  extendedAttributes: Record<string, unknown> | null;
}

const COLUMNS: Record<keyof Omit<RseProtocolRecord, 'rseId'>, string> = {
  scheme: 'scheme',
  hostname: 'hostname',
  port: 'port',
  prefix: 'prefix',
  impl: 'impl',
  readLan: 'read_lan',
  writeLan: 'write_lan',
  deleteLan: 'delete_lan',
  readWan: 'read_wan',
  writeWan: 'write_wan',
  deleteWan: 'delete_wan',
  thirdPartyCopyRead: 'third_party_copy_read',
  thirdPartyCopyWrite: 'third_party_copy_write',
  extendedAttributes: 'extended_attributes',
};

const SELECT_PROTOCOL = `
  SELECT rse_id AS "rseId", scheme, hostname, port, prefix, impl,
         read_lan AS "readLan", write_lan AS "writeLan", delete_lan AS "deleteLan",
         read_wan AS "readWan", write_wan AS "writeWan", delete_wan AS "deleteWan",
         third_party_copy_read AS "thirdPartyCopyRead", third_party_copy_write AS "thirdPartyCopyWrite",
         extended_attributes AS "extendedAttributes"
    FROM rse_protocols`;

function value(key: keyof typeof COLUMNS, v: unknown): unknown {
  return key === 'extendedAttributes' && v !== null && v !== undefined ? JSON.stringify(v) : v;
}

/** False when the RSE already has a protocol with that (scheme, hostname, port). */
export async function insertRseProtocol(manager: EntityManager, protocol: RseProtocolRecord): Promise<boolean> {
  const keys = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];
  const inserted: unknown[] = await manager.query(
    `INSERT INTO rse_protocols (rse_id, ${keys.map((k) => COLUMNS[k]).join(', ')})
     VALUES ($1, ${keys.map((k, i) => (k === 'extendedAttributes' ? `$${i + 2}::jsonb` : `$${i + 2}`)).join(', ')})
     ON CONFLICT (rse_id, scheme, hostname, port) DO NOTHING RETURNING rse_id`,
    [protocol.rseId, ...keys.map((k) => value(k, protocol[k]))],
  );
  return inserted.length > 0;
}

export async function findRseProtocol(manager: EntityManager, rseId: string, key: RseProtocolKey): Promise<RseProtocolRecord | null> {
  const rows: RseProtocolRecord[] = await manager.query(
    `${SELECT_PROTOCOL} WHERE rse_id = $1 AND scheme = $2 AND hostname = $3 AND port = $4`,
    [rseId, key.scheme, key.hostname, key.port],
  );
  return rows[0] ?? null;
}

/** Sorted as Rucio's get_rse_protocols sorts them: by hostname, scheme, port. */
export async function listRseProtocols(manager: EntityManager, rseId: string): Promise<RseProtocolRecord[]> {
  return manager.query(`${SELECT_PROTOCOL} WHERE rse_id = $1 ORDER BY hostname COLLATE "C", scheme COLLATE "C", port`, [rseId]);
}

/** Every protocol of every RSE that is not deleted, by RSE, then as listRseProtocols sorts them. */
export async function listAllRseProtocols(manager: EntityManager): Promise<RseProtocolRecord[]> {
  return manager.query(
    `${SELECT_PROTOCOL} WHERE rse_id IN (SELECT id FROM rses WHERE NOT deleted) ORDER BY rse_id, hostname COLLATE "C", scheme COLLATE "C", port`,
  );
}

/** Changes the given columns (the key columns too); false when the new key is taken by another protocol. */
export async function updateRseProtocol(
  manager: EntityManager,
  rseId: string,
  key: RseProtocolKey,
  changes: Partial<Omit<RseProtocolRecord, 'rseId'>>,
): Promise<boolean> {
  const keys = (Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]).filter((k) => changes[k] !== undefined);
  if (keys.length === 0) return true;
  const target = { ...key, ...changes };
  if (target.scheme !== key.scheme || target.hostname !== key.hostname || target.port !== key.port) {
    if (await findRseProtocol(manager, rseId, target)) return false;
  }
  const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + 5}${k === 'extendedAttributes' ? '::jsonb' : ''}`).join(', ');
  await manager.query(
    `UPDATE rse_protocols SET ${sets}, updated_at = now() WHERE rse_id = $1 AND scheme = $2 AND hostname = $3 AND port = $4`,
    [rseId, key.scheme, key.hostname, key.port, ...keys.map((k) => value(k, changes[k]))],
  );
  return true;
}

/** Deletes the RSE's protocols of that scheme (narrowed by hostname, then port, when given); returns how many. */
export async function deleteRseProtocols(
  manager: EntityManager,
  rseId: string,
  scheme: string,
  hostname?: string,
  port?: number,
): Promise<number> {
  return countDeleted(
    manager,
    `DELETE FROM rse_protocols
      WHERE rse_id = $1 AND scheme = $2 AND ($3::varchar IS NULL OR hostname = $3) AND ($4::int IS NULL OR port = $4)
      RETURNING 1`,
    [rseId, scheme, hostname ?? null, hostname === undefined ? null : port ?? null],
  );
}
