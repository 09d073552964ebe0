import { type LockWaitFacts, LockReasonCode, replicatingLockReason, reasonTime, summarizeRuleWait } from './lock-reason.js';
import { ReplicaState, RequestState } from './states.js';

const now = new Date('2026-11-21T04:20:00Z');
const later = new Date('2026-11-21T04:25:30Z');
const settings = { maxAttempts: 3, now };
const none: LockWaitFacts = { replicaState: ReplicaState.COPYING, request: null, verification: null };
const request = (state: RequestState, extra: Partial<NonNullable<LockWaitFacts['request']>> = {}): LockWaitFacts => ({
  ...none,
  request: { state, retryCount: 0, errMsg: null, retryAfter: null, sourceRse: null, submittedAt: null, ...extra },
});

describe('replicatingLockReason', () => {
  it('follows the transfer first: queued, throttled, copying, retrying, no source', () => {
    expect(replicatingLockReason(request(RequestState.QUEUED), settings)).toEqual({ code: LockReasonCode.QUEUED, text: 'queued for transfer' });
    expect(replicatingLockReason(request(RequestState.QUEUED, { retryAfter: later }), settings).text).toBe('queued for transfer after 2026-11-21 04:25:30 UTC');
    expect(replicatingLockReason(request(RequestState.WAITING, { errMsg: 'throttled: at most 5' }), settings)).toEqual({ code: LockReasonCode.THROTTLED, text: 'throttled: at most 5' });
    expect(replicatingLockReason(request(RequestState.SUBMITTED, { sourceRse: 'SITE_A', retryCount: 1, submittedAt: now }), settings)).toEqual({
      code: LockReasonCode.COPYING,
      text: 'copying from SITE_A (attempt 2 of 3, since 2026-11-21 04:20:00 UTC)',
    });
    expect(replicatingLockReason(request(RequestState.QUEUED, { retryCount: 2, errMsg: 'ECONNRESET', retryAfter: later }), settings)).toEqual({
      code: LockReasonCode.RETRYING,
      text: 'attempt 2 of 3 failed: ECONNRESET; next attempt after 2026-11-21 04:25:30 UTC',
    });
    expect(replicatingLockReason(request(RequestState.QUEUED, { retryCount: 1, errMsg: 'x', retryAfter: now }), settings).text).toBe('attempt 1 of 3 failed: x; next attempt now');
    expect(replicatingLockReason(request(RequestState.NO_SOURCES, { errMsg: 'no source: none' }), settings)).toEqual({
      code: LockReasonCode.NO_SOURCE,
      text: 'no source: none (attempt 1 of 3; tried again after a back-off)',
    });
    expect(replicatingLockReason(request(RequestState.FAILED, { errMsg: 'checksum mismatch' }), settings)).toEqual({
      code: LockReasonCode.RETRYING,
      text: 'attempt 1 of 3 failed: checksum mismatch; being rescheduled',
    });
  });

  it('then the check of the replica: an upload not written yet, a verification pending or failing', () => {
    const check = (written: boolean, attempts: number, lastError: string | null): LockWaitFacts => ({
      ...none,
      verification: { written, attempts, lastError, notBefore: later, announcedAt: now },
    });
    expect(replicatingLockReason(check(false, 0, null), settings)).toEqual({
      code: LockReasonCode.UPLOADING,
      text:
        'waiting for an upload: the replica was announced at 2026-11-21 04:20:00 UTC and not written yet; if it is not by 2026-11-21 04:25:30 UTC, ' +
        'the replica-registrar looks for it on storage and what waits for it is re-planned. Uploading the file again repairs it',
    });
    expect(replicatingLockReason(check(true, 0, null), settings).code).toBe(LockReasonCode.VERIFYING);
    expect(replicatingLockReason(check(true, 2, 'getaddrinfo ENOTFOUND dav.site-a.org'), settings)).toEqual({
      code: LockReasonCode.VERIFYING,
      text: 'the replica could not be verified yet (2 attempt(s)): getaddrinfo ENOTFOUND dav.site-a.org; the replica-registrar checks again after 2026-11-21 04:25:30 UTC',
    });
    // An overdue upload being looked for on an unreachable storage says why it is not decided.
    expect(replicatingLockReason(check(false, 1, 'ECONNREFUSED'), settings).text).toMatch(/^the replica could not be verified yet \(1 attempt\(s\)\): ECONNREFUSED/);
  });

  it('then the replica itself', () => {
    expect(replicatingLockReason({ ...none, replicaState: ReplicaState.BAD, replicaError: 'adler32 mismatch' }, settings)).toEqual({
      code: LockReasonCode.VERIFYING,
      text: 'the replica is BAD (adler32 mismatch); the replica-registrar copies it again from another replica, or, with none left, marks the lock STUCK',
    });
    expect(replicatingLockReason({ ...none, replicaState: ReplicaState.BEING_DELETED }, settings).code).toBe(LockReasonCode.BEING_DELETED);
    expect(replicatingLockReason({ ...none, replicaState: ReplicaState.UNAVAILABLE }, settings)).toEqual({
      code: LockReasonCode.OTHER,
      text: 'the replica is UNAVAILABLE and no transfer is queued',
    });
    expect(replicatingLockReason({ ...none, replicaState: null }, settings).code).toBe(LockReasonCode.OTHER);
  });

  it('writes times in UTC to the second', () => {
    expect(reasonTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02 03:04:05 UTC');
  });
});

describe('summarizeRuleWait', () => {
  it('says what the locks wait for, by reason, with the error first', () => {
    expect(
      summarizeRuleWait({ state: 'R', error: null }, [
        { state: 'R', code: 'QUEUED', locks: 2, example: 'queued for transfer' },
        { state: 'R', code: 'VERIFYING', locks: 1, example: null },
      ]),
    ).toBe('3 lock(s) not OK: 2 REPLICATING QUEUED (e.g. queued for transfer); 1 REPLICATING VERIFYING');
    expect(summarizeRuleWait({ state: 'S', error: 'lost' }, [{ state: 'S', code: 'LOST', locks: 1, example: 'lost: x' }])).toBe(
      'lost — 1 lock(s) not OK: 1 STUCK LOST (e.g. lost: x)',
    );
  });

  it('says what a rule without locks waits for', () => {
    expect(summarizeRuleWait({ state: 'W', error: null }, [])).toMatch(/^waiting for approval/);
    expect(summarizeRuleWait({ state: 'I', error: null }, [])).toMatch(/^waiting to be evaluated by the rule-injector/);
    expect(summarizeRuleWait({ state: 'O', error: null }, [])).toBe('all locks are OK');
    expect(summarizeRuleWait({ state: 'S', error: 'Some files could not be placed: no space' }, [])).toBe('Some files could not be placed: no space');
  });
});
