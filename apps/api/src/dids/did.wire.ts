import { DidAvailability, DidType } from '@tarn/domain';
import type { DidView } from '@tarn/core';
import { rfc1123 } from '../http/rucio-wire.js';

/** The enum member name of a one-letter code (Rucio puts names on the wire: 'DATASET', 'OK', ...). */
export function codeName(values: Record<string, string>, code: string | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  return Object.keys(values).find((key) => values[key] === code) ?? code;
}

export const didTypeWire = (type: DidType | string): string => codeName(DidType, type) ?? String(type);

/** Rucio's get_did: the file or collection fields, dates as RFC 1123. */
export function didWire(did: DidView): Record<string, unknown> {
  const common = { scope: did.scope, name: did.name, type: didTypeWire(did.type), account: did.account };
  const dates = {
    expired_at: rfc1123(did.expiredAt),
    created_at: rfc1123(did.createdAt),
    updated_at: rfc1123(did.updatedAt),
    accessed_at: rfc1123(did.accessedAt),
  };
  if (did.type === DidType.FILE) {
    return {
      ...common,
      bytes: did.bytes,
      length: 1,
      md5: did.md5,
      adler32: did.adler32,
      xxh64: did.xxh64,
      guid: did.guid,
      events: did.events,
      availability: codeName(DidAvailability, did.availability),
      ...dates,
    };
  }
  return {
    ...common,
    open: did.open,
    monotonic: did.monotonic,
    length: did.length,
    bytes: did.bytes,
    events: did.events,
    closed_at: rfc1123(did.closedAt),
    ...dates,
  };
}

/** Rucio's DID_COLUMN metadata plugin: every column of the DID. */
export function didColumnsWire(did: DidView): Record<string, unknown> {
  return {
    scope: did.scope,
    name: did.name,
    account: did.account,
    did_type: didTypeWire(did.type),
    is_open: did.open,
    monotonic: did.monotonic,
    hidden: did.hidden,
    obsolete: did.obsolete,
    availability: codeName(DidAvailability, did.availability),
    bytes: did.bytes,
    length: did.length,
    md5: did.md5,
    adler32: did.adler32,
    xxh64: did.xxh64,
    guid: did.guid,
    events: did.events,
    purge_replicas: did.purgeReplicas,
    expired_at: rfc1123(did.expiredAt),
    closed_at: rfc1123(did.closedAt),
    accessed_at: rfc1123(did.accessedAt),
    created_at: rfc1123(did.createdAt),
    updated_at: rfc1123(did.updatedAt),
  };
}

/** Maps a RowStream lazily (the cursor stays the source; nothing is collected). */
export async function* mapRows<T, U>(rows: AsyncIterable<T> | Iterable<T>, map: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield map(row);
}
