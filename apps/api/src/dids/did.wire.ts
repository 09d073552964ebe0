import { DidAvailability, DidType, guidWire } from '@tarn/domain';
import type { DidView } from '@tarn/core';
import { mapOf, named, shape } from '../http/answers.js';
import { codeName, rfc1123 } from '../http/rucio-wire.js';

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
      guid: guidWire(did.guid),
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

/**
 * Columns Rucio's dids table has for experiments' metadata (its DID_COLUMN plugin answers them); Tarn keeps them
 * in the free metadata, so they are taken from there (null when unset).
 */
const RUCIO_META_COLUMNS = [
  'project', 'datatype', 'run_number', 'stream_name', 'prod_step', 'version', 'campaign', 'task_id', 'panda_id',
  'lumiblocknr', 'provenance', 'phys_group',
] as const;

/**
 * Rucio's DID_COLUMN metadata plugin: every column of the DID, as its dids table has them. `eol_at` is when the
 * catalogue lets the DID go (its lifetime); concepts Tarn does not have answer as Rucio's defaults do.
 */
export function didColumnsWire(did: DidView, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scope: did.scope,
    name: did.name,
    account: did.account,
    did_type: didTypeWire(did.type),
    is_open: did.open,
    monotonic: did.monotonic,
    hidden: did.hidden,
    obsolete: did.obsolete,
    complete: did.complete,
    is_new: null,
    availability: codeName(DidAvailability, did.availability),
    suppressed: false,
    bytes: did.bytes,
    length: did.length,
    md5: did.md5,
    adler32: did.adler32,
    xxh64: did.xxh64,
    expired_at: rfc1123(did.expiredAt),
    purge_replicas: did.purgeReplicas,
    deleted_at: null,
    events: did.events,
    guid: guidWire(did.guid),
    ...Object.fromEntries(RUCIO_META_COLUMNS.map((key) => [key, meta[key] ?? null])),
    transient: false,
    accessed_at: rfc1123(did.accessedAt),
    closed_at: rfc1123(did.closedAt),
    eol_at: rfc1123(did.expiredAt),
    is_archive: false,
    constituent: null,
    access_cnt: did.accessCnt,
    created_at: rfc1123(did.createdAt),
    updated_at: rfc1123(did.updatedAt),
  };
}

/** Maps a RowStream lazily (the cursor stays the source; nothing is collected). */
export async function* mapRows<T, U>(rows: AsyncIterable<T> | Iterable<T>, map: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield map(row);
}

const DATES = { expired_at: 'date?', created_at: 'date', updated_at: 'date', accessed_at: 'date?' } as const;

export const DID_ANSWER = named('Did', {
  description: "A DID's properties (Rucio get_did): a file or a collection.",
  oneOf: [
    named(
      'DidFile',
      shape({
        scope: 'string', name: 'string', type: { type: 'string', enum: ['FILE'] }, account: 'string', bytes: 'integer?', length: 'integer',
        md5: 'string?', adler32: 'string?', xxh64: 'string?', guid: 'string?', events: 'integer?', availability: 'string?', ...DATES,
      }),
    ),
    named(
      'DidCollection',
      shape({
        scope: 'string', name: 'string', type: { type: 'string', enum: ['DATASET', 'CONTAINER'] }, account: 'string', open: 'boolean',
        monotonic: 'boolean', length: 'integer?', bytes: 'integer?', events: 'integer?', closed_at: 'date?', ...DATES,
      }),
    ),
  ],
});

export const DID_METADATA_ANSWER = named(
  'DidMetadata',
  mapOf('any', "plugin DID_COLUMN: the DID's columns (scope, name, account, did_type, is_open, bytes, length, adler32, ...); JSON: the free metadata; ALL: both."),
);

export const DID_REF = named('DidRef', shape({ scope: 'string', name: 'string' }));
export const CONTENT_LINE = named('DidContent', shape({ scope: 'string', name: 'string', type: 'string', bytes: 'integer?', adler32: 'string?', md5: 'string?' }));
const FILE_FIELDS = { scope: 'string', name: 'string', bytes: 'integer?', adler32: 'string?', md5: 'string?', guid: 'string?', events: 'integer?' } as const;
export const FILE_LINE = named('DidFileEntry', shape(FILE_FIELDS));
export const BULK_FILE_LINE = named('DidFileOfParent', shape({ parent_scope: 'string', parent_name: 'string', ...FILE_FIELDS }));
export const PARENT_LINE = named('DidParent', shape({ scope: 'string', name: 'string', type: 'string' }));
export const SCOPE_LIST_LINE = named(
  'ScopeListEntry',
  shape({ scope: 'string', name: 'string', type: 'string', parent: { ...shape({ scope: 'string', name: 'string' }), nullable: true }, level: 'integer' }),
);
export const SEARCH_LINE = named('DidSearchEntry', {
  description: 'The name, or with long=True {scope, name, did_type, bytes, length}.',
  oneOf: [{ type: 'string' }, shape({ scope: 'string', name: 'string', did_type: 'string', bytes: 'integer?', length: 'integer?' })],
});
export const CONTENT_HISTORY_LINE = named(
  'DidContentHistory',
  shape({ scope: 'string', name: 'string', type: 'string', bytes: 'integer?', adler32: 'string?', md5: 'string?', created_at: 'date', updated_at: 'date?', deleted_at: 'date?' }),
);
