import { jest } from '@jest/globals';
import { ProtocolFallback } from './protocol-fallback.js';
import { ChecksumMismatch, InvalidStoragePath, StoragePermissionDenied, StorageUnavailable } from './storage.errors.js';

const at = { rse: 'SITE_A', protocol: 'xrootd', endpoint: 'root://a:1094//data/', path: 'f' };
const down = new StorageUnavailable(at, 'read', 'connection refused');
const refused = new StoragePermissionDenied(at, 'read', 'no such token');

describe('protocol fallback', () => {
  test('another door is worth trying for a door that failed, not for bytes or a path that are wrong, nor for other errors', () => {
    expect(ProtocolFallback.worthTrying(down)).toBe(true);
    expect(ProtocolFallback.worthTrying(refused)).toBe(true);
    expect(ProtocolFallback.worthTrying(new ChecksumMismatch(at, [{ what: 'adler32', expected: '00000001', actual: '00000002' }]))).toBe(false);
    expect(ProtocolFallback.worthTrying(new InvalidStoragePath(at, 'has ..'))).toBe(false);
    expect(ProtocolFallback.worthTrying(new Error('a bug'))).toBe(false);
  });

  test('a door that did not answer is tried last from then on; one that refused keeps its place', () => {
    const doors = new ProtocolFallback<string>();
    const all = ['root', 'davs', 's3'];
    expect(doors.order(all, (d) => d)).toEqual(all);
    doors.failed('davs', refused);
    expect(doors.order(all, (d) => d)).toEqual(all);
    doors.failed('root', down);
    expect(doors.order(all, (d) => d)).toEqual(['davs', 's3', 'root']);
  });

  test('a long-running process forgets a door that did not answer after a while', () => {
    const doors = new ProtocolFallback<string>(50);
    doors.failed('root', down);
    expect(doors.order(['root', 'davs'], (d) => d)).toEqual(['davs', 'root']);
    const later = Date.now() + 60;
    jest.useFakeTimers({ now: later, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      expect(doors.order(['root', 'davs'], (d) => d)).toEqual(['root', 'davs']);
      expect(doors.isUnanswered('root')).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  test('each door is said once', () => {
    const doors = new ProtocolFallback<number>();
    expect([doors.sayOnce(1), doors.sayOnce(1), doors.sayOnce(2)]).toEqual([true, false, true]);
  });
});
