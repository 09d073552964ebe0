import {
  formatDid,
  InvalidInput,
  InvalidInputClass,
  resolveExpiry,
  RuleGrouping,
  RuleNotification,
  RuleState,
  validateAccountName,
  validateDid,
} from '@tarn/domain';
import type { Issuer } from '../auth/issuer.js';
import type { DidRef } from '../dids/did.types.js';
import type { RuleSpec } from './rule.types.js';

export const DEFAULT_ACTIVITY = 'default';
export const DEFAULT_PRIORITY = 3;

export interface NormalizedRuleSpec {
  dids: DidRef[];
  account: string;
  copies: number;
  rseExpression: string;
  weight: string | null;
  expiresAt: Date | null;
  grouping: RuleGrouping;
  locked: boolean;
  sourceReplicaExpression: string | null;
  activity: string;
  priority: number;
  notification: RuleNotification;
  purgeReplicas: boolean;
  ignoreAvailability: boolean;
  ignoreAccountLimit: boolean;
  askApproval: boolean;
  asynchronous: boolean;
  comment: string | null;
  meta: Record<string, unknown> | null;
  subscriptionId: string | null;
}

function invalid(message: string, rucioClass: InvalidInputClass = 'InvalidReplicationRule', details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass, details });
}

const GROUPINGS: Record<string, RuleGrouping> = { ALL: RuleGrouping.ALL, DATASET: RuleGrouping.DATASET, NONE: RuleGrouping.NONE };
const NOTIFICATIONS: Record<string, RuleNotification> = {
  YES: RuleNotification.YES,
  NO: RuleNotification.NO,
  CLOSE: RuleNotification.CLOSE,
  PROGRESS: RuleNotification.PROGRESS,
};
const STATE_NAMES: Record<string, RuleState> = Object.fromEntries(
  Object.entries(RuleState).map(([name, code]) => [name, code]),
) as Record<string, RuleState>;

function byNameOrCode<T extends string>(table: Record<string, T>, value: string): T | undefined {
  const upper = value.toUpperCase();
  return table[upper] ?? Object.values(table).find((code) => code === upper);
}

export function parseGrouping(value: RuleSpec['grouping']): RuleGrouping {
  if (value === undefined || value === null) return RuleGrouping.DATASET;
  const grouping = typeof value === 'string' ? byNameOrCode(GROUPINGS, value) : undefined;
  if (!grouping) throw invalid(`Unknown rule grouping ${JSON.stringify(value)}. Use ALL, DATASET or NONE.`, 'InvalidReplicationRule', { grouping: value });
  return grouping;
}

export function parseNotification(value: RuleSpec['notify']): RuleNotification {
  if (value === undefined || value === null || value === false) return RuleNotification.NO;
  if (value === true) return RuleNotification.YES;
  const notification = typeof value === 'string' ? byNameOrCode(NOTIFICATIONS, value) : undefined;
  if (!notification) throw invalid(`Unknown notify value ${JSON.stringify(value)}. Use YES, NO, CLOSE or PROGRESS.`, 'InvalidReplicationRule', { notify: value });
  return notification;
}

export function parseRuleState(value: string): RuleState {
  const state = byNameOrCode(STATE_NAMES, value);
  if (!state) {
    throw invalid(`Unknown rule state ${JSON.stringify(value)}. Use one of ${Object.keys(STATE_NAMES).join(', ')}.`, 'UnsupportedStatus', { state: value });
  }
  return state;
}

/** The state's name as Rucio writes it (OK, REPLICATING, ...). */
export function ruleStateName(state: RuleState): string {
  return Object.keys(STATE_NAMES).find((name) => STATE_NAMES[name] === state) ?? state;
}

export function validCopies(copies: unknown): number {
  if (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 1 || copies > 32767) {
    throw invalid(`A rule needs a whole number of copies of at least 1, not ${JSON.stringify(copies)}.`, 'InvalidReplicationRule', { copies });
  }
  return copies;
}

export function validRseExpression(expression: unknown, what = 'RSE expression'): string {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw invalid(`The rule's ${what} is empty. Give one, e.g. "SITE_A|SITE_B" or "QOS=SAFE".`, 'InvalidRSEExpression', { expression });
  }
  if (expression.length > 3000) throw invalid(`The rule's ${what} has ${expression.length} characters; at most 3000 are allowed.`, 'InvalidRSEExpression');
  return expression;
}

export function validPriority(priority: unknown): number {
  if (priority === undefined || priority === null) return DEFAULT_PRIORITY;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 5) {
    throw invalid(`Invalid rule priority ${JSON.stringify(priority)}: give a whole number from 1 (lowest) to 5 (highest).`, 'InputValidationError', { priority });
  }
  return priority;
}

export function validActivity(activity: unknown): string {
  if (activity === undefined || activity === null) return DEFAULT_ACTIVITY;
  if (typeof activity !== 'string' || activity.trim() === '' || activity.length > 50) {
    throw invalid(`Invalid activity ${JSON.stringify(activity)}: a non-empty name of at most 50 characters, e.g. "User Subscriptions".`, 'InputValidationError', { activity });
  }
  return activity;
}

export function validComment(comment: unknown): string | null {
  if (comment === undefined || comment === null) return null;
  if (typeof comment !== 'string' || comment.length > 255) {
    throw invalid(`Invalid rule comment: a text of at most 255 characters${typeof comment === 'string' ? ` (this one has ${comment.length})` : ''}.`, 'InputValidationError');
  }
  return comment;
}

export function validWeight(weight: unknown): string | null {
  if (weight === undefined || weight === null || weight === '') return null;
  if (typeof weight !== 'string' || weight.length > 255) {
    throw invalid(`Invalid rule weight ${JSON.stringify(weight)}: the name of a numeric RSE attribute.`, 'InvalidRuleWeight', { weight });
  }
  return weight;
}

export function validMeta(meta: unknown): Record<string, unknown> | null {
  if (meta === undefined || meta === null) return null;
  if (typeof meta !== 'object' || Array.isArray(meta)) throw invalid('Rule meta must be a JSON object.', 'InvalidMetadata');
  return meta as Record<string, unknown>;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(`Rule option ${name} must be true or false, not ${JSON.stringify(value)}.`, 'InputValidationError');
  return value;
}

/** Validates an add-rule request and fills in the defaults. Only administrators may act for another account. */
export function normalizeRuleSpec(spec: RuleSpec, issuer: Issuer, now: Date): NormalizedRuleSpec {
  if (!spec || !Array.isArray(spec.dids) || spec.dids.length === 0) {
    throw invalid('A rule needs at least one DID (dids: [{scope, name}]).', 'InputValidationError');
  }
  const seen = new Set<string>();
  const dids = spec.dids.map((did) => {
    validateDid(did);
    const key = formatDid(did);
    if (seen.has(key)) throw invalid(`DID ${key} is given twice in one rule request. List each DID once.`, 'InputValidationError', { did: key });
    seen.add(key);
    return { scope: did.scope, name: did.name };
  });
  const account = validateAccountName(spec.account ?? issuer.account);
  return {
    dids,
    account,
    copies: validCopies(spec.copies),
    rseExpression: validRseExpression(spec.rseExpression),
    weight: validWeight(spec.weight),
    expiresAt: resolveExpiry({ lifetime: spec.lifetime, expiresAt: spec.expiresAt }, now, 'the rule lifetime'),
    grouping: parseGrouping(spec.grouping),
    locked: flag(spec.locked, 'locked'),
    sourceReplicaExpression:
      spec.sourceReplicaExpression === undefined || spec.sourceReplicaExpression === null
        ? null
        : validRseExpression(spec.sourceReplicaExpression, 'source replica expression'),
    activity: validActivity(spec.activity),
    priority: validPriority(spec.priority),
    notification: parseNotification(spec.notify),
    purgeReplicas: flag(spec.purgeReplicas, 'purge_replicas'),
    ignoreAvailability: flag(spec.ignoreAvailability, 'ignore_availability'),
    ignoreAccountLimit: flag(spec.ignoreAccountLimit, 'ignore_account_limit'),
    askApproval: flag(spec.askApproval, 'ask_approval'),
    asynchronous: flag(spec.asynchronous, 'asynchronous'),
    comment: validComment(spec.comment),
    meta: validMeta(spec.meta),
    subscriptionId: spec.subscriptionId ?? null,
  };
}
