import type { RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import type { LockRecord } from '@tarn/catalogue/repositories/lock.repository.js';
import type { RuleHistoryRecord } from '@tarn/catalogue/repositories/rule-history.repository.js';
import { RuleGrouping, RuleNotification, RuleState } from '@tarn/domain';
import type { DidRef } from '../dids/did.types.js';

/** One add-rule request (Rucio's add_replication_rule): one rule per DID. */
export interface RuleSpec {
  dids: DidRef[];
  /** Owner of the rule; defaults to the issuer. Only administrators may create rules for another account. */
  account?: string;
  copies: number;
  rseExpression: string;
  /** Name of a numeric RSE attribute used as selection weight. */
  weight?: string | null;
  /** Seconds from now, or an absolute `expiresAt`; not both. None: the rule never expires. */
  lifetime?: number | null;
  expiresAt?: Date | string | null;
  /** ALL, DATASET (default) or NONE (or the codes A, D, N). */
  grouping?: RuleGrouping | 'ALL' | 'DATASET' | 'NONE' | string;
  locked?: boolean;
  sourceReplicaExpression?: string | null;
  activity?: string | null;
  /** 1 (lowest) to 5 (highest); default 3. */
  priority?: number | null;
  /** YES, NO (default), CLOSE, PROGRESS (or Y, N, C, P); a boolean means YES/NO. */
  notify?: RuleNotification | string | boolean | null;
  purgeReplicas?: boolean;
  ignoreAvailability?: boolean;
  /** Do not hold the rule to the account's quota. Administrators only. */
  ignoreAccountLimit?: boolean;
  /** WAITING_APPROVAL: no locks until an administrator approves. */
  askApproval?: boolean;
  /** INJECT: the injector daemon evaluates it later (injectRule). */
  asynchronous?: boolean;
  comment?: string | null;
  meta?: Record<string, unknown> | null;
  /** Rule made by a subscription. */
  subscriptionId?: string | null;
}

/** What updateRule may change (Rucio's update_rule options). */
export interface RuleUpdate {
  /** Seconds from now; null removes the expiry. */
  lifetime?: number | null;
  /** Absolute expiry; null removes it. */
  expiresAt?: Date | string | null;
  locked?: boolean;
  comment?: string | null;
  activity?: string;
  priority?: number;
  /** New owner (administrators only): the locks and the account usage move with the rule. */
  account?: string;
  /**
   * SUSPENDED suspends the rule; STUCK marks it and its replicating locks stuck, for the repairer to retry them
   * (elsewhere if need be); REPLICATING or OK resumes a suspended rule (its state then follows its locks).
   */
  state?: RuleState | 'SUSPENDED' | 'STUCK' | 'REPLICATING' | 'OK' | string;
  sourceReplicaExpression?: string | null;
  purgeReplicas?: boolean;
  meta?: Record<string, unknown> | null;
  /** With state STUCK: the rule's queued transfers that no other rule needs are cancelled too. */
  cancelRequests?: boolean;
  /** The rule this one was moved to (same DID), or null to unlink it. */
  childRuleId?: string | null;
  /** Administrators: the repairer takes the rule at its next pass and its waiting transfers go now, back-off or not. */
  boost?: boolean;
}

/** What a moved rule's child may take differently from its parent. */
export interface MoveOverrides {
  copies?: number;
  grouping?: RuleSpec['grouping'];
  weight?: string | null;
  lifetime?: number | null;
  expiresAt?: Date | string | null;
  activity?: string;
  sourceReplicaExpression?: string | null;
  comment?: string | null;
  purgeReplicas?: boolean;
  meta?: Record<string, unknown> | null;
}

export interface RuleListFilter {
  /** account, scope and name take `*` as a wildcard, as in Rucio (`account=*` lists every account's rules). */
  account?: string;
  scope?: string;
  name?: string;
  id?: string;
  state?: RuleState | string;
  didType?: string;
  grouping?: string;
  rseExpression?: string;
  activity?: string;
  subscriptionId?: string;
  locked?: boolean;
  createdBefore?: Date;
  createdAfter?: Date;
  updatedBefore?: Date;
  updatedAfter?: Date;
  /** One page of the listing: `limit` rules (1 to 1,000) after `offset`, newest first when `newestFirst`. */
  page?: { limit: number; offset: number; newestFirst: boolean };
}

/** A rule with its lock counters, state, error and expiry (every column of the rules table). */
export type RuleView = RuleRecord;

/** A dataset lock with its RSE's name and last access. */
export type { DatasetLockView } from '@tarn/catalogue/repositories/dataset-lock.repository.js';
export type { LockReasonGroup } from '@tarn/catalogue/repositories/lock-reason.repository.js';

/** A rule as it was at one point of its history. */
export type RuleHistoryView = RuleHistoryRecord;

/** One file lock of a rule: state, RSE and last error. */
export type LockView = LockRecord;

export interface DeleteRuleOptions {
  /** Overrides the rule's purge_replicas for this deletion. */
  purgeReplicas?: boolean;
}

export interface RuleRemovalResult {
  ruleId: string;
  locksRemoved: number;
  transfersCancelled: number;
}
