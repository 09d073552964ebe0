import { EntityManager } from 'typeorm';
import { RseAttributeValue, RseType } from '@tarn/domain';
import { setRseQosClass } from './rse-attribute.repository.js';

export interface RseRecord {
  id: string;
  rse: string;
  rseType: RseType;
  deterministic: boolean;
  volatile: boolean;
  staging: boolean;
  qosClass: string | null;
  availabilityRead: boolean;
  availabilityWrite: boolean;
  availabilityDelete: boolean;
  city: string | null;
  regionCode: string | null;
  countryName: string | null;
  continent: string | null;
  timeZone: string | null;
  longitude: number | null;
  latitude: number | null;
  deleted: boolean;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of an RSE that can be given at creation and changed afterwards. */
export type RseFields = Partial<Omit<RseRecord, 'id' | 'deleted' | 'deletedAt' | 'createdAt' | 'updatedAt'>>;

const FIELD_COLUMNS: Record<keyof RseFields, string> = {
  rse: 'rse',
  rseType: 'rse_type',
  deterministic: 'deterministic',
  volatile: 'volatile',
  staging: 'staging',
  qosClass: 'qos_class',
  availabilityRead: 'availability_read',
  availabilityWrite: 'availability_write',
  availabilityDelete: 'availability_delete',
  city: 'city',
  regionCode: 'region_code',
  countryName: 'country_name',
  continent: 'continent',
  timeZone: 'time_zone',
  longitude: 'longitude',
  latitude: 'latitude',
};

const SELECT_RSE = `
  SELECT r.id, r.rse, r.rse_type AS "rseType", r.deterministic, r.volatile, r.staging, r.qos_class AS "qosClass",
         r.availability_read AS "availabilityRead", r.availability_write AS "availabilityWrite",
         r.availability_delete AS "availabilityDelete", r.city, r.region_code AS "regionCode",
         r.country_name AS "countryName", r.continent, r.time_zone AS "timeZone", r.longitude, r.latitude,
         r.deleted, r.deleted_at AS "deletedAt", r.created_at AS "createdAt", r.updated_at AS "updatedAt"
    FROM rses r`;

function definedFields(fields: RseFields): [string, unknown][] {
  return (Object.keys(FIELD_COLUMNS) as (keyof RseFields)[])
    .filter((key) => fields[key] !== undefined)
    .map((key) => [FIELD_COLUMNS[key], fields[key]]);
}

/** Inserts a live RSE (its QoS class also as its QOS attribute); null when a live RSE of that name exists already. */
export async function insertRse(manager: EntityManager, fields: RseFields & { rse: string }): Promise<RseRecord | null> {
  const entries = definedFields(fields);
  const columns = entries.map(([column]) => column).join(', ');
  const placeholders = entries.map((_, i) => `$${i + 1}`).join(', ');
  const inserted: { id: string }[] = await manager.query(
    `INSERT INTO rses (${columns}) VALUES (${placeholders})
     ON CONFLICT (rse) WHERE deleted = false DO NOTHING RETURNING id`,
    entries.map(([, value]) => value),
  );
  if (inserted.length === 0) return null;
  if (fields.qosClass) await setRseQosClass(manager, inserted[0].id, fields.qosClass);
  return findRseById(manager, inserted[0].id);
}

export async function findRseById(manager: EntityManager, id: string): Promise<RseRecord | null> {
  const rows: RseRecord[] = await manager.query(`${SELECT_RSE} WHERE r.id = $1`, [id]);
  return rows[0] ?? null;
}

/** The live (not deleted) RSE of that name; `lock` takes a row lock for the rest of the transaction. */
export async function findLiveRseByName(
  manager: EntityManager,
  name: string,
  options: { lock?: 'update' | 'share' } = {},
): Promise<RseRecord | null> {
  const lock = options.lock === 'update' ? ' FOR UPDATE' : options.lock === 'share' ? ' FOR SHARE' : '';
  const rows: RseRecord[] = await manager.query(`${SELECT_RSE} WHERE r.rse = $1 AND NOT r.deleted${lock}`, [name]);
  return rows[0] ?? null;
}

export async function findLiveRsesByNames(manager: EntityManager, names: string[]): Promise<RseRecord[]> {
  return manager.query(`${SELECT_RSE} WHERE r.rse = ANY($1::varchar[]) AND NOT r.deleted ORDER BY r.rse`, [names]);
}

export async function findRsesByIds(manager: EntityManager, ids: string[]): Promise<RseRecord[]> {
  return manager.query(`${SELECT_RSE} WHERE r.id = ANY($1::uuid[]) ORDER BY r.rse`, [ids]);
}

export async function listLiveRses(manager: EntityManager): Promise<RseRecord[]> {
  return manager.query(`${SELECT_RSE} WHERE NOT r.deleted ORDER BY r.rse`);
}

/** Updates the given columns (the QoS class also as the QOS attribute); null when a live RSE already has the new name. */
export async function updateRse(manager: EntityManager, id: string, fields: RseFields): Promise<RseRecord | null> {
  const entries = definedFields(fields);
  if (entries.length > 0) {
    const sets = entries.map(([column], i) => `${column} = $${i + 2}`).join(', ');
    if (fields.rse !== undefined) {
      const clash: unknown[] = await manager.query(
        `SELECT 1 FROM rses WHERE rse = $1 AND NOT deleted AND id <> $2`,
        [fields.rse, id],
      );
      if (clash.length > 0) return null;
    }
    await manager.query(`UPDATE rses SET ${sets}, updated_at = now() WHERE id = $1`, [id, ...entries.map(([, value]) => value)]);
    if (fields.qosClass !== undefined) await setRseQosClass(manager, id, fields.qosClass);
  }
  return findRseById(manager, id);
}

export async function softDeleteRse(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`UPDATE rses SET deleted = true, deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

/** Replicas (of any state) on the RSE, counted up to `cap` so that a huge RSE costs no full scan. */
export async function countReplicasOnRse(manager: EntityManager, rseId: string, cap = 1000): Promise<number> {
  const rows: { n: string }[] = await manager.query(
    `SELECT count(*) AS n FROM (SELECT 1 FROM replicas WHERE rse_id = $1 LIMIT $2) AS on_rse`,
    [rseId, cap],
  );
  return Number(rows[0].n);
}

/** One live RSE with everything RSE expressions and placement need, read in a single statement. */
export interface RseCatalogueRow {
  id: string;
  name: string;
  rseType: RseType;
  deterministic: boolean;
  volatile: boolean;
  staging: boolean;
  qosClass: string | null;
  availabilityRead: boolean;
  availabilityWrite: boolean;
  availabilityDelete: boolean;
  attributes: Record<string, RseAttributeValue>;
  qosPolicies: string[];
  limits: Record<string, number>;
  /** rse_usage.used of source 'rucio' (the catalogue's own count), null when never counted. */
  catalogueUsed: number | null;
  /** rse_usage.free of source 'storage' (what the storage reports), null when unknown. */
  storageFree: number | null;
}

export async function loadRseCatalogue(manager: EntityManager): Promise<RseCatalogueRow[]> {
  const rows: (Omit<RseCatalogueRow, 'catalogueUsed' | 'storageFree'> & { catalogueUsed: string | null; storageFree: string | null })[] =
    await manager.query(`
      SELECT r.id, r.rse AS name, r.rse_type AS "rseType", r.deterministic, r.volatile, r.staging,
             r.qos_class AS "qosClass", r.availability_read AS "availabilityRead",
             r.availability_write AS "availabilityWrite", r.availability_delete AS "availabilityDelete",
             COALESCE((SELECT jsonb_object_agg(a.key, a.value) FROM rse_attributes a WHERE a.rse_id = r.id), '{}'::jsonb) AS attributes,
             COALESCE((SELECT array_agg(q.qos_policy ORDER BY q.qos_policy) FROM rse_qos_policies q WHERE q.rse_id = r.id), '{}') AS "qosPolicies",
             COALESCE((SELECT jsonb_object_agg(l.name, l.value) FROM rse_limits l WHERE l.rse_id = r.id), '{}'::jsonb) AS limits,
             (SELECT u.used FROM rse_usage u WHERE u.rse_id = r.id AND u.source = 'rucio') AS "catalogueUsed",
             (SELECT u.free FROM rse_usage u WHERE u.rse_id = r.id AND u.source = 'storage') AS "storageFree"
        FROM rses r
       WHERE NOT r.deleted
       ORDER BY r.rse`);
  return rows.map((row) => ({
    ...row,
    catalogueUsed: row.catalogueUsed === null ? null : Number(row.catalogueUsed),
    storageFree: row.storageFree === null ? null : Number(row.storageFree),
  }));
}

/** PostgreSQL channel on which every change of RSEs, attributes, limits or usage is announced. */
export const RSE_CHANGED_CHANNEL = 'tarn_rse_changed';

/** In the caller's transaction: listeners hear of it when (and only if) the transaction commits. */
export async function notifyRsesChanged(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_notify($1, '')`, [RSE_CHANGED_CHANNEL]);
}
