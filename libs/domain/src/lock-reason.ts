import { ReplicaState, RequestState } from './states.js';

/**
 * Why a lock is not OK, by kind: what `tarn rule show`, GET /rules/<id>/locks and the rule's analysis show and
 * summarise. REPLICATING locks wait for something that is under way; STUCK ones for something that failed.
 */
export enum LockReasonCode {
  /** A transfer to the lock's RSE is queued and due. */
  QUEUED = 'QUEUED',
  /** The throttler holds the transfer back (request WAITING): the destination's limit of transfers at once is reached. */
  THROTTLED = 'THROTTLED',
  /** The transfer tool is copying the file. */
  COPYING = 'COPYING',
  /** An attempt failed; the next one waits out its back-off. */
  RETRYING = 'RETRYING',
  /** No replica of the file can serve as a source right now. */
  NO_SOURCE = 'NO_SOURCE',
  /** The replica was written (or registered) and waits for the replica-registrar to check size and checksum. */
  VERIFYING = 'VERIFYING',
  /** The replica was announced by an upload that has not written it (yet). */
  UPLOADING = 'UPLOADING',
  /** Every attempt of the transfer failed. */
  TRANSFER_FAILED = 'TRANSFER_FAILED',
  /** The replica is bad or missing and no other replica of the file exists. */
  LOST = 'LOST',
  /** The RSE does not accept writes. */
  RSE_UNAVAILABLE = 'RSE_UNAVAILABLE',
  /** The replica on the RSE is being deleted. */
  BEING_DELETED = 'BEING_DELETED',
  /** An account set the rule STUCK or SUSPENDED by hand. */
  MANUAL = 'MANUAL',
  /** Anything else (a state the catalogue reached some other way); the text says which. */
  OTHER = 'OTHER',
}

export interface LockReason {
  code: LockReasonCode;
  text: string;
}

/** What the catalogue knows about the replica a REPLICATING lock waits for (lock keys: file and RSE). */
export interface LockWaitFacts {
  /** null: there is no replica row (yet). */
  replicaState: ReplicaState | null;
  /** The replica's error (why it is BAD). */
  replicaError?: string | null;
  /** The transfer to the lock's RSE, if one exists. */
  request: {
    state: RequestState;
    /** Failed attempts so far. */
    retryCount: number;
    errMsg: string | null;
    retryAfter: Date | null;
    sourceRse: string | null;
    submittedAt: Date | null;
  } | null;
  /** The pending check of the replica by the replica-registrar, if one is queued. */
  verification: {
    attempts: number;
    lastError: string | null;
    notBefore: Date;
    /** false: announced by an upload that has not said it wrote the file; checked once notBefore (its timeout) is passed. */
    written: boolean;
    announcedAt: Date;
  } | null;
}

export interface LockReasonSettings {
  /** Attempts of a transfer before its locks are STUCK (configs transfers/max_attempts). */
  maxAttempts: number;
  now: Date;
}

/** A time in reasons: UTC to the second, e.g. 2026-11-21 04:20:00 UTC. */
export function reasonTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const after = (at: Date | null, now: Date): string => (at && at.getTime() > now.getTime() ? ` after ${reasonTime(at)}` : ' now');

/**
 * The reason of a REPLICATING lock, from what the catalogue says about its transfer, its replica and the
 * replica's pending verification. Texts do not name the lock's own file and RSE (they sit beside it).
 */
export function replicatingLockReason(facts: LockWaitFacts, settings: LockReasonSettings): LockReason {
  const { request, verification, now } = { ...facts, now: settings.now };
  if (request) {
    const attempt = request.retryCount + 1;
    const of = `attempt ${attempt} of ${settings.maxAttempts}`;
    const last = request.errMsg ?? 'no reason recorded';
    switch (request.state) {
      case RequestState.QUEUED:
        if (request.retryCount > 0) {
          return { code: LockReasonCode.RETRYING, text: `attempt ${request.retryCount} of ${settings.maxAttempts} failed: ${last}; next attempt${after(request.retryAfter, now)}` };
        }
        return { code: LockReasonCode.QUEUED, text: `queued for transfer${request.retryAfter && request.retryAfter > now ? ` after ${reasonTime(request.retryAfter)}` : ''}` };
      case RequestState.WAITING:
        return { code: LockReasonCode.THROTTLED, text: request.errMsg ?? 'throttled: the destination takes no more transfers at once for now' };
      case RequestState.SUBMITTED:
        return {
          code: LockReasonCode.COPYING,
          text: `copying${request.sourceRse ? ` from ${request.sourceRse}` : ''} (${of}${request.submittedAt ? `, since ${reasonTime(request.submittedAt)}` : ''})`,
        };
      case RequestState.NO_SOURCES:
        return { code: LockReasonCode.NO_SOURCE, text: `${last} (${of}; tried again after a back-off)` };
      case RequestState.DONE:
        return { code: LockReasonCode.COPYING, text: `copied${request.sourceRse ? ` from ${request.sourceRse}` : ''}; being recorded` };
      case RequestState.FAILED:
      case RequestState.SUBMISSION_FAILED:
      case RequestState.LOST:
        return { code: LockReasonCode.RETRYING, text: `${of} failed: ${last}; being rescheduled` };
    }
  }
  if (verification && !verification.written && verification.attempts === 0) {
    return {
      code: LockReasonCode.UPLOADING,
      text:
        `waiting for an upload: the replica was announced at ${reasonTime(verification.announcedAt)} and not written yet; ` +
        `if it is not by ${reasonTime(verification.notBefore)}, the replica-registrar looks for it on storage and what waits for it is re-planned. ` +
        'Uploading the file again repairs it',
    };
  }
  if (verification) {
    if (verification.lastError) {
      return {
        code: LockReasonCode.VERIFYING,
        text:
          `the replica could not be verified yet (${verification.attempts} attempt(s)): ${verification.lastError}; ` +
          `the replica-registrar checks again${after(verification.notBefore, now)}`,
      };
    }
    return { code: LockReasonCode.VERIFYING, text: 'waiting for the replica-registrar to verify size and checksum of the replica on storage' };
  }
  switch (facts.replicaState) {
    case ReplicaState.BEING_DELETED:
      return { code: LockReasonCode.BEING_DELETED, text: 'the replica is being deleted; the copy is made again once the deletion is done' };
    case ReplicaState.BAD:
      return {
        code: LockReasonCode.VERIFYING,
        text:
          `the replica is BAD (${facts.replicaError ?? 'no reason recorded'}); the replica-registrar copies it again from another replica, ` +
          'or, with none left, marks the lock STUCK',
      };
    case null:
      return { code: LockReasonCode.OTHER, text: 'no replica and no transfer: the rule-repairer or the rule-evaluator places it again' };
    default:
      return { code: LockReasonCode.OTHER, text: `the replica is ${replicaStateName(facts.replicaState)} and no transfer is queued` };
  }
}

function replicaStateName(state: ReplicaState): string {
  return Object.entries(ReplicaState).find(([, code]) => code === state)?.[0] ?? state;
}

/** The reason of a lock STUCK at placement: the RSE takes no writes, or no source qualifies, or the replica is going. */
export const stuckAtPlacement = {
  unwritable: (): LockReason => ({
    code: LockReasonCode.RSE_UNAVAILABLE,
    text: 'the RSE does not accept writes (availability_write is false); the rule-repairer retries once it does, or moves the lock to another RSE of the expression',
  }),
  noSource: (expression: string): LockReason => ({
    code: LockReasonCode.NO_SOURCE,
    text: `no AVAILABLE replica on the rule's source RSEs '${expression}'; the rule-repairer retries later`,
  }),
  beingDeleted: (): LockReason => stuckBeingDeleted,
};

const stuckBeingDeleted: LockReason = {
  code: LockReasonCode.BEING_DELETED,
  text: 'the replica is being deleted; the rule-repairer copies it again once the deletion is done',
};

/** A rule's locks that are not OK with one reason code (of one state): how many, and one of their reasons. */
export interface LockReasonCount {
  /** 'R' (REPLICATING) or 'S' (STUCK). */
  state: string;
  code: string | null;
  locks: number;
  example: string | null;
}

const WAITING_RULES: Partial<Record<string, string>> = {
  W: 'waiting for approval: an administrator approves it (tarn rule approve <id>) or denies it (tarn rule deny <id>)',
  I: 'waiting to be evaluated by the rule-injector (large or asynchronous rules are evaluated in chunks)',
};

/**
 * One line on what a rule waits for, from its state, its error and its not-OK locks grouped by reason, e.g.
 * "REPLICATING: 3 lock(s) not OK: 2 QUEUED (queued for transfer), 1 VERIFYING (the replica could not be verified yet ...)".
 */
export function summarizeRuleWait(rule: { state: string; error: string | null }, groups: readonly LockReasonCount[]): string {
  const waiting = WAITING_RULES[rule.state];
  if (waiting) return waiting;
  const total = groups.reduce((sum, g) => sum + g.locks, 0);
  if (total === 0) return rule.error ?? (rule.state === 'O' ? 'all locks are OK' : 'no lock waits');
  const parts = groups.map((g) => `${g.locks} ${g.state === 'S' ? 'STUCK' : 'REPLICATING'} ${g.code ?? 'without reason'}${g.example ? ` (e.g. ${g.example})` : ''}`);
  return `${rule.error ? `${rule.error} — ` : ''}${total} lock(s) not OK: ${parts.join('; ')}`;
}
