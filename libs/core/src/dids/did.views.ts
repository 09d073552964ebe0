import { DidType } from '@tarn/domain';
import type { DidRow } from '@tarn/catalogue/repositories/did.repository.js';
import type { DidView } from './did.types.js';

export function didView(row: DidRow): DidView {
  const isFile = row.didType === DidType.FILE;
  return {
    scope: row.scope,
    name: row.name,
    type: row.didType,
    account: row.account,
    bytes: row.bytes,
    length: isFile ? 1 : row.length,
    adler32: row.adler32,
    md5: row.md5,
    xxh64: row.xxh64,
    guid: row.guid,
    events: row.events,
    open: isFile ? null : row.isOpen,
    monotonic: row.monotonic,
    obsolete: row.obsolete,
    hidden: row.hidden,
    complete: row.complete,
    availability: row.availability,
    purgeReplicas: row.purgeReplicas,
    expiredAt: row.expiredAt,
    closedAt: row.closedAt,
    accessedAt: row.accessedAt,
    accessCnt: row.accessCnt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
