import { DidType, InvalidInput, normalizeGuid, resolveExpiry, validateDid } from '@tarn/domain';
import type { NewDidRow } from '@tarn/catalogue/repositories/did.repository.js';
import type { AttachChild, NewDid } from './did.types.js';

const TYPES: Record<string, DidType> = {
  F: DidType.FILE,
  FILE: DidType.FILE,
  D: DidType.DATASET,
  DATASET: DidType.DATASET,
  C: DidType.CONTAINER,
  CONTAINER: DidType.CONTAINER,
};

const TYPE_NAMES: Record<DidType, string> = { [DidType.FILE]: 'FILE', [DidType.DATASET]: 'DATASET', [DidType.CONTAINER]: 'CONTAINER' };

/** FILE, DATASET, CONTAINER: the names Rucio puts on the wire. */
export const didTypeName = (type: DidType): string => TYPE_NAMES[type];

export function parseDidType(type: unknown, did?: string): DidType {
  const parsed = TYPES[String(type).toUpperCase()];
  if (!parsed) {
    throw new InvalidInput(
      `Invalid DID type ${JSON.stringify(type)}${did ? ` for ${did}` : ''}: use FILE, DATASET or CONTAINER.`,
      { rucioClass: 'UnsupportedDIDType', details: { type } },
    );
  }
  return parsed;
}

/** Metadata keys that name DID columns (or Rucio's lifetime): they are not free metadata. */
export const RESERVED_META_KEYS = new Set([
  'scope', 'name', 'account', 'did_type', 'type', 'bytes', 'length', 'adler32', 'md5', 'xxh64', 'guid', 'events',
  'created_at', 'updated_at', 'expired_at', 'closed_at', 'is_open', 'open', 'monotonic', 'obsolete', 'hidden',
  'availability', 'lifetime', 'created_after', 'created_before',
]);

function invalidMeta(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InvalidMetadata', details });
}

/** A metadata key must be searchable: no '.', which separates key and operator in filters. */
export function validateMetaKey(key: string, did: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw invalidMeta(`Invalid metadata key ${JSON.stringify(key)} for ${did}: a key has 1 to 255 characters.`, { key });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw invalidMeta(`Invalid metadata key ${JSON.stringify(key)} for ${did}: no control characters.`, { key });
  if (key.includes('.')) {
    throw invalidMeta(
      `Invalid metadata key '${key}' for ${did}: a key must not contain '.', which separates key and operator in filters (run.gte). Use '_'.`,
      { key },
    );
  }
  if (RESERVED_META_KEYS.has(key)) {
    throw invalidMeta(`Metadata key '${key}' of ${did} names a property of the DID itself, not free metadata; choose another key.`, { key });
  }
  return key;
}

export function validateMeta(meta: unknown, did: string): Record<string, unknown> {
  if (meta === null || meta === undefined) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) {
    throw invalidMeta(`Invalid metadata for ${did}: give an object of key -> value.`, {});
  }
  for (const key of Object.keys(meta)) validateMetaKey(key, did);
  return meta as Record<string, unknown>;
}

function invalidValue(did: string, field: string, value: unknown, rule: string): InvalidInput {
  return new InvalidInput(`Invalid ${field} ${JSON.stringify(value)} for ${did}: ${rule}.`, {
    rucioClass: 'InvalidValueForKey',
    details: { field, value },
  });
}

function count(value: unknown, did: string, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidValue(did, field, value, 'a whole number >= 0 is expected');
  }
  return value;
}

function hex(value: unknown, did: string, field: string, digits: number): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value)) {
    throw invalidValue(did, field, value, `${digits} hexadecimal digits are expected`);
  }
  return value.toLowerCase();
}

export function guidOf(value: unknown, did: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  const guid = normalizeGuid(String(value));
  if (!guid) throw invalidValue(did, 'guid', value, 'a UUID is expected');
  return guid;
}

/** Size and checksums given with a child to attach, normalised (compared with the registered file). */
export function childChecks(child: AttachChild): { bytes: number | null; adler32: string | null; md5: string | null } {
  const did = `${child.scope}:${child.name}`;
  return { bytes: count(child.bytes, did, 'bytes'), adler32: hex(child.adler32, did, 'adler32', 8), md5: hex(child.md5, did, 'md5', 32) };
}

/** Validates a DID to register and turns it into a row; throws InvalidInput naming the DID and the field. */
export function newDidRow(input: NewDid, owner: string, now: Date): NewDidRow {
  if (input === null || typeof input !== 'object') throw new InvalidInput(`Invalid DID ${JSON.stringify(input)}: an object is expected.`);
  validateDid({ scope: input.scope, name: input.name });
  const did = `${input.scope}:${input.name}`;
  const didType = parseDidType(input.type, did);
  const isFile = didType === DidType.FILE;
  const row: NewDidRow = {
    scope: input.scope,
    name: input.name,
    account: owner,
    didType,
    isOpen: isFile ? null : true,
    monotonic: input.monotonic === true,
    bytes: count(input.bytes, did, 'bytes'),
    length: isFile ? null : 0,
    adler32: hex(input.adler32, did, 'adler32', 8),
    md5: hex(input.md5, did, 'md5', 32),
    xxh64: hex(input.xxh64, did, 'xxh64', 16),
    guid: guidOf(input.guid, did),
    events: count(input.events, did, 'events'),
    expiredAt: resolveExpiry({ lifetime: input.lifetime, expiresAt: input.expiresAt }, now, `the lifetime of ${did}`),
  };
  if (isFile && row.bytes === null) throw invalidValue(did, 'bytes', input.bytes, 'a file needs its size in bytes');
  if (!isFile) {
    const fileOnly = (['bytes', 'adler32', 'md5', 'xxh64', 'guid', 'events'] as const).find((k) => row[k] !== null);
    if (fileOnly) {
      const kind = didTypeName(didType).toLowerCase();
      throw invalidValue(did, fileOnly, input[fileOnly], `only files carry ${fileOnly}; a ${kind} gets it from its content`);
    }
    row.length = didType === DidType.DATASET ? 0 : null;
    row.bytes = didType === DidType.DATASET ? 0 : null;
  }
  return row;
}
