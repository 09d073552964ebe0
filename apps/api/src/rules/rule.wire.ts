import { DidType, LockReasonCode, LockState, RuleGrouping, RuleNotification, RuleState } from '@tarn/domain';
import type { LockView, MoveOverrides, RuleHistoryView, RuleSpec, RuleUpdate, RuleView } from '@tarn/core';
import { named, shape } from '../http/answers.js';
import { codeName as nameOf, rfc1123 } from '../http/rucio-wire.js';
import { assertKnownKeys, badRequest } from '../rses/request-body.js';
import { AddRulesDto, MOVE_OVERRIDE_KEYS, RULE_OPTION_KEYS } from './rule.dto.js';


/** A rule state's name on the wire ('OK', 'REPLICATING', ...), from its one-letter code. */
export const ruleStateName = (code: string): string => nameOf(RuleState, code);

/** Rucio keeps rule meta as JSON text. */
function metaText(meta: Record<string, unknown> | null): string | null {
  return meta === null || meta === undefined ? null : JSON.stringify(meta);
}

/**
 * A rule as Rucio's get_replication_rule / list_replication_rules answer it: every column, snake_case, enums by
 * name (state 'OK', 'REPLICATING', 'STUCK', ...), dates RFC 1123, and the DID's bytes when the service gives them
 * (the CLI's rule listings print it, 'N/A' when null).
 */
export function ruleToWire(rule: RuleView & { bytes?: number | null }): Record<string, unknown> {
  return {
    id: rule.id,
    subscription_id: rule.subscriptionId,
    account: rule.account,
    scope: rule.scope,
    name: rule.name,
    did_type: nameOf(DidType, rule.didType),
    state: nameOf(RuleState, rule.state),
    error: rule.error,
    rse_expression: rule.rseExpression,
    copies: rule.copies,
    expires_at: rfc1123(rule.expiresAt),
    weight: rule.weight,
    locked: rule.locked,
    locks_ok_cnt: rule.locksOkCnt,
    locks_replicating_cnt: rule.locksReplicatingCnt,
    locks_stuck_cnt: rule.locksStuckCnt,
    source_replica_expression: rule.sourceReplicaExpression,
    activity: rule.activity,
    grouping: nameOf(RuleGrouping, rule.grouping),
    notification: nameOf(RuleNotification, rule.notification),
    stuck_at: rfc1123(rule.stuckAt),
    purge_replicas: rule.purgeReplicas,
    ignore_availability: rule.ignoreAvailability,
    ignore_account_limit: rule.ignoreAccountLimit,
    priority: rule.priority,
    comments: rule.comments,
    child_rule_id: rule.childRuleId,
    eol_at: rfc1123(rule.eolAt),
    split_container: rule.splitContainer,
    meta: metaText(rule.meta),
    bytes: rule.bytes ?? null,
    created_at: rfc1123(rule.createdAt),
    updated_at: rfc1123(rule.updatedAt),
  };
}

/** A file lock as Rucio's get_replica_locks_for_rule_id answers it (plus its bytes, last error, reason and dates). */
export function lockToWire(lock: LockView): Record<string, unknown> {
  return {
    scope: lock.scope,
    name: lock.name,
    rse_id: lock.rseId,
    rse: lock.rse,
    state: nameOf(LockState, lock.state),
    rule_id: lock.ruleId,
    account: lock.account,
    bytes: lock.bytes,
    error: lock.error,
    copy_method: lock.copyMethod,
    copy_method_reason: lock.copyMethodReason,
    reason_code: lock.reasonCode,
    reason: lock.reason,
    repair_cnt: lock.repairCnt,
    created_at: rfc1123(lock.createdAt),
    updated_at: rfc1123(lock.updatedAt),
  };
}

/** A row of a rule's history as Rucio's list_replication_rule(_full)_history answers it, with a few more columns. */
export function ruleHistoryToWire(row: RuleHistoryView): Record<string, unknown> {
  return {
    rule_id: row.ruleId,
    account: row.account,
    scope: row.scope,
    name: row.name,
    state: nameOf(RuleState, row.state),
    rse_expression: row.rseExpression,
    copies: row.copies,
    expires_at: rfc1123(row.expiresAt),
    locked: row.locked,
    error: row.error,
    locks_ok_cnt: row.locksOkCnt,
    locks_replicating_cnt: row.locksReplicatingCnt,
    locks_stuck_cnt: row.locksStuckCnt,
    created_at: rfc1123(row.createdAt),
    updated_at: rfc1123(row.updatedAt),
  };
}

/** Rucio sends rule meta as JSON text; Tarn keeps it as an object. */
function metaObject(meta: unknown): Record<string, unknown> | null | undefined {
  if (typeof meta !== 'string') return meta as Record<string, unknown> | null | undefined;
  try {
    return JSON.parse(meta) as Record<string, unknown>;
  } catch {
    throw badRequest('InvalidObject', `Rule meta must be a JSON object (or its JSON text), not ${JSON.stringify(meta.slice(0, 100))}.`);
  }
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/**
 * POST /rules/ as Rucio's REST layer reads it: the keys it knows, the rest ignored (clients such as Rucio's web UI
 * send more, e.g. `comments`, taken here as the comment when `comment` is not given).
 */
export function ruleSpec(body: Partial<AddRulesDto>): RuleSpec {
  if (body.split_container) {
    throw badRequest('UnsupportedOperation', 'Tarn does not split container rules into dataset rules (split_container). Add one rule per dataset instead.');
  }
  return {
    dids: (body.dids ?? []).map((did) => ({ scope: did.scope, name: did.name })),
    account: orUndefined(body.account),
    copies: body.copies as number,
    rseExpression: body.rse_expression as string,
    weight: body.weight,
    lifetime: body.lifetime,
    expiresAt: orUndefined(body.expires_at),
    grouping: orUndefined(body.grouping),
    locked: orUndefined(body.locked),
    sourceReplicaExpression: body.source_replica_expression,
    activity: body.activity,
    priority: body.priority,
    notify: body.notify,
    purgeReplicas: orUndefined(body.purge_replicas),
    ignoreAvailability: orUndefined(body.ignore_availability),
    ignoreAccountLimit: orUndefined(body.ignore_account_limit),
    askApproval: orUndefined(body.ask_approval),
    asynchronous: Boolean(body.asynchronous) || (body.delay_injection !== undefined && body.delay_injection !== null),
    comment: body.comment ?? (typeof body.comments === 'string' ? body.comments : body.comment),
    meta: metaObject(body.meta),
    subscriptionId: body.subscription_id,
  };
}

export type RuleOptions =
  | { kind: 'approve' }
  | { kind: 'deny'; reason?: string }
  | { kind: 'update'; update: RuleUpdate };

/** What PUT /rules/<id> asks: an update, or (options.approve) an approval or denial. */
export function ruleOptions(ruleId: string, options: Record<string, unknown>): RuleOptions {
  assertKnownKeys(options, RULE_OPTION_KEYS, `Updating rule ${ruleId}`, 'InputValidationError');
  if ('approve' in options) {
    if (typeof options.approve !== 'boolean') throw badRequest('InputValidationError', `options.approve is true (approve) or false (deny) for rule ${ruleId}.`);
    if (options.approve) return { kind: 'approve' };
    return { kind: 'deny', reason: typeof options.comment === 'string' ? options.comment : undefined };
  }
  const update: RuleUpdate = {};
  const names = {
    lifetime: 'lifetime',
    expires_at: 'expiresAt',
    locked: 'locked',
    comment: 'comment',
    activity: 'activity',
    priority: 'priority',
    account: 'account',
    state: 'state',
    source_replica_expression: 'sourceReplicaExpression',
    purge_replicas: 'purgeReplicas',
  } as const;
  for (const [wire, key] of Object.entries(names) as [keyof typeof names, (typeof names)[keyof typeof names]][]) {
    if (options[wire] !== undefined) (update as Record<string, unknown>)[key] = options[wire];
  }
  if (options.meta !== undefined) update.meta = metaObject(options.meta);
  if (options.boost_rule !== undefined && options.boost_rule !== null && options.boost_rule !== false) update.boost = true;
  if (options.cancel_requests === true) update.cancelRequests = true;
  if (options.child_rule_id !== undefined) {
    if (options.child_rule_id !== null && typeof options.child_rule_id !== 'string') {
      throw badRequest('InputValidationError', `options.child_rule_id is a rule id, or null to unlink, for rule ${ruleId}.`);
    }
    update.childRuleId = options.child_rule_id;
  }
  return { kind: 'update', update };
}

export function moveOverrides(override: Record<string, unknown>, ruleId: string): MoveOverrides {
  assertKnownKeys(override, MOVE_OVERRIDE_KEYS, `Moving rule ${ruleId}`, 'InputValidationError');
  const names = {
    copies: 'copies',
    grouping: 'grouping',
    weight: 'weight',
    lifetime: 'lifetime',
    activity: 'activity',
    source_replica_expression: 'sourceReplicaExpression',
    comment: 'comment',
    purge_replicas: 'purgeReplicas',
  } as const;
  const overrides: MoveOverrides = {};
  for (const [wire, key] of Object.entries(names) as [keyof typeof names, (typeof names)[keyof typeof names]][]) {
    if (override[wire] !== undefined) (overrides as Record<string, unknown>)[key] = override[wire];
  }
  if (override.meta !== undefined) overrides.meta = metaObject(override.meta);
  return overrides;
}

export const RULE_ANSWER = named(
  'Rule',
  shape({
    id: 'string', subscription_id: 'string?', account: 'string', scope: 'string', name: 'string', did_type: 'string',
    state: { type: 'string', enum: ['REPLICATING', 'OK', 'STUCK', 'SUSPENDED', 'WAITING_APPROVAL', 'INJECT'] }, error: 'string?',
    rse_expression: 'string', copies: 'integer', expires_at: 'date?', weight: 'string?', locked: 'boolean', locks_ok_cnt: 'integer',
    locks_replicating_cnt: 'integer', locks_stuck_cnt: 'integer', source_replica_expression: 'string?', activity: 'string?',
    grouping: 'string', notification: 'string', stuck_at: 'date?', purge_replicas: 'boolean', ignore_availability: 'boolean',
    ignore_account_limit: 'boolean', priority: 'integer', comments: 'string?', child_rule_id: 'string?', eol_at: 'date?',
    split_container: 'boolean', meta: { type: 'string', nullable: true, description: 'JSON text, as Rucio keeps it.' }, bytes: 'integer?',
    created_at: 'date', updated_at: 'date',
  }),
);

export const LOCK_ANSWER = named(
  'Lock',
  shape({
    scope: 'string', name: 'string', rse_id: 'string', rse: 'string', state: 'string', rule_id: 'string', account: 'string',
    bytes: 'integer?', error: { type: 'string', nullable: true, description: 'The last error this lock met (kept once it is retried).' },
    reason_code: {
      type: 'string', nullable: true, enum: [...Object.values(LockReasonCode), null],
      description: 'Why the lock is not OK now, by kind; null when OK.',
    },
    reason: { type: 'string', nullable: true, description: 'Why the lock is not OK now, in words: what it waits for, or what failed and what happens next.' },
    repair_cnt: 'integer', created_at: 'date', updated_at: 'date',
    copy_method: { type: 'string', nullable: true, enum: ['third-party', 'streamed', null], description: "How the file was last copied to the lock's RSE: by the storage itself (third-party), or through Tarn's transfer worker (streamed)." },
    copy_method_reason: { type: 'string', nullable: true, description: 'Why that way, through which protocols, and which protocols failed first.' },
  }),
);

export const RULE_ANALYSIS_ANSWER = named(
  'RuleAnalysis',
  shape({
    rule_error: { type: 'string', nullable: true, description: 'What the rule waits for, in one line: its error, and its locks that are not OK by reason.' },
    transfers: {
      type: 'array', items: { type: 'object', additionalProperties: true },
      description: 'The locks that are not OK (STUCK first, at most 1,000): file, RSE, state, reason_code, reason, last_error, attempts.',
    },
    reasons: {
      type: 'array', items: { type: 'object', additionalProperties: true },
      description: 'The locks that are not OK counted by state and reason: state, reason_code, locks, bytes, rses (up to 10), an example.',
    },
  }),
);

export const RULE_HISTORY_LINE = named(
  'RuleHistory',
  shape({
    rule_id: 'string', account: 'string', scope: 'string', name: 'string', state: 'string', rse_expression: 'string', copies: 'integer',
    expires_at: 'date?', locked: 'boolean', error: 'string?', locks_ok_cnt: 'integer', locks_replicating_cnt: 'integer', locks_stuck_cnt: 'integer',
    created_at: 'date', updated_at: 'date',
  }),
);

export const DATASET_LOCK_LINE = named(
  'DatasetLock',
  shape({
    scope: 'string', name: 'string', rule_id: 'string', rse_id: 'string', rse: 'string', account: 'string', state: 'string', length: 'integer?',
    bytes: 'integer?', accessed_at: 'date?', created_at: 'date', updated_at: 'date',
  }),
);
