import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Duplicate, RseAttributeValue } from '@tarn/domain';
import { insertRse, RseRecord } from '@tarn/catalogue/repositories/rse.repository.js';
import { upsertRseAttribute } from '@tarn/catalogue/repositories/rse-attribute.repository.js';
import { insertRseProtocol } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { upsertRseLimit } from '@tarn/catalogue/repositories/rse-limit.repository.js';
import { upsertRseUsage } from '@tarn/catalogue/repositories/rse-usage.repository.js';
import { upsertDistance } from '@tarn/catalogue/repositories/distance.repository.js';
import { addRseFields, validAttribute } from '@tarn/core/rses/rse-input.js';
import { newProtocol } from '@tarn/core/rses/rse-protocol.mapping.js';
import { rseChange } from '@tarn/core/rses/rse-unit-of-work.js';
import type { AddRseInput, RseProtocolInput, SetRseUsageInput } from '@tarn/core/rses/rse.types.js';

export interface RseFactoryInput extends Partial<AddRseInput> {
  attributes?: Record<string, RseAttributeValue>;
  /** rse_limits by name, e.g. { MaxBytes: 10_000, MinFreeSpace: 100 }. */
  limits?: Record<string, number>;
  /** e.g. [{ source: 'storage', used: 0, free: 1e12 }]. */
  usage?: SetRseUsageInput[];
  protocols?: RseProtocolInput[];
}

export interface CreatedRse extends RseRecord {
  attributes: Record<string, RseAttributeValue>;
}

/** An https (WebDAV) protocol with every priority 1, as the REST tests post it (the scheme is in the path there). */
export const HTTPS_PROTOCOL = {
  hostname: 'storage.example.org',
  port: 443,
  prefix: '/data/tarn/',
  impl: 'rucio.rse.protocols.webdav.Default',
  domains: {
    lan: { read: 1, write: 1, delete: 1 },
    wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
  },
};

/** A valid RSE name nobody else uses: `<PREFIX>_<8 hex digits>`. */
export function uniqueRseName(prefix = 'RSE'): string {
  return `${prefix}_${randomBytes(4).toString('hex').toUpperCase()}`;
}

/**
 * Creates an RSE with its attributes, limits, usage and protocols in one transaction, bypassing
 * permissions, and tells RSE expression caches (of this process and, by NOTIFY, of others) at once.
 */
export async function createRse(dataSource: DataSource, input: RseFactoryInput = {}): Promise<CreatedRse> {
  const { attributes = {}, limits = {}, usage = [], protocols = [], ...columns } = input;
  const fields = addRseFields({ ...columns, rse: columns.rse ?? uniqueRseName() });
  return rseChange(dataSource, `RSE '${fields.rse}'`, async (manager) => {
    const rse = await insertRse(manager, fields);
    if (!rse) throw Duplicate.rse(fields.rse);
    for (const [key, value] of Object.entries(attributes)) await upsertRseAttribute(manager, rse.id, ...validAttribute(rse.rse, key, value));
    for (const [name, value] of Object.entries(limits)) await upsertRseLimit(manager, rse.id, name, value);
    for (const u of usage) await upsertRseUsage(manager, rse.id, { source: u.source, used: u.used, free: u.free ?? null, files: u.files });
    for (const p of protocols) await insertRseProtocol(manager, newProtocol(rse.rse, rse.id, p));
    return { ...rse, attributes };
  });
}

export async function createRses(dataSource: DataSource, inputs: RseFactoryInput[]): Promise<CreatedRse[]> {
  const created: CreatedRse[] = [];
  for (const input of inputs) created.push(await createRse(dataSource, input));
  return created;
}

/** Sets distances (one direction each) between RSEs created by the factory. */
export async function setDistances(dataSource: DataSource, distances: [src: RseRecord, dest: RseRecord, distance: number][]): Promise<void> {
  await dataSource.transaction(async (manager) => {
    for (const [src, dest, distance] of distances) await upsertDistance(manager, src.id, dest.id, distance);
  });
}
