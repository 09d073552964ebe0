import { EPOCH_TOMBSTONE, isEpochTombstone, tombstoneAfterUnlock } from './tombstone.js';

const now = new Date('2030-01-01T00:00:00Z');
const accessed = new Date('2029-06-01T00:00:00Z');

describe('tombstoneAfterUnlock', () => {
  it('keeps no tombstone while a lock remains', () => {
    expect(tombstoneAfterUnlock({ lockCnt: 1, purgeReplicas: true, accessedAt: accessed, now })).toBeNull();
  });

  it('uses the epoch when the rule had purge_replicas', () => {
    const tombstone = tombstoneAfterUnlock({ lockCnt: 0, purgeReplicas: true, accessedAt: accessed, now });
    expect(tombstone).toEqual(new Date('1970-01-01T00:00:00Z'));
    expect(tombstone).toEqual(EPOCH_TOMBSTONE);
    expect(isEpochTombstone(tombstone)).toBe(true);
  });

  it('uses the last access time after lifetime expiry (least recently used goes first)', () => {
    const tombstone = tombstoneAfterUnlock({ lockCnt: 0, purgeReplicas: false, accessedAt: accessed, now });
    expect(tombstone).toEqual(accessed);
    expect(tombstone).not.toBe(accessed);
    expect(isEpochTombstone(tombstone)).toBe(false);
  });

  it('uses now for a replica never accessed', () => {
    expect(tombstoneAfterUnlock({ lockCnt: 0, purgeReplicas: false, accessedAt: null, now })).toEqual(now);
    expect(isEpochTombstone(null)).toBe(false);
  });
});
