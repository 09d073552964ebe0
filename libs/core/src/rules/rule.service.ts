import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  Duplicate,
  expiryFromDate,
  expiryFromLifetime,
  formatDid,
  InvalidInput,
  isExpired,
  LockReasonCode,
  NotFound,
  QuotaExceeded,
  RuleState,
  TarnError,
} from '@tarn/domain';
import { appendEvents, tarnEvent, TarnEvent } from '@tarn/events';
import { unitOfWork } from '@tarn/catalogue';
import { findAccount, isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import { findDid, openCursor } from '@tarn/catalogue/repositories/did.repository.js';
import { ruleRepository, type RuleRecord, type RuleUpdateColumns, toRuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { lockRepository, toLockRecord } from '@tarn/catalogue/repositories/lock.repository.js';
import { lockReasonRepository, type LockReasonGroup } from '@tarn/catalogue/repositories/lock-reason.repository.js';
import { datasetLockRepository } from '@tarn/catalogue/repositories/dataset-lock.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { lifetimeExceptionRepository } from '@tarn/catalogue/repositories/lifetime-exception.repository.js';
import { ruleHistoryRepository, type RuleHistoryRecord, toRuleHistoryRecord } from '@tarn/catalogue/repositories/rule-history.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { openRowStream, RowStream } from '../dids/row-stream.js';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import { RuleCreator } from './rule-creator.js';
import { parseDidType } from '../dids/did-validation.js';
import {
  normalizeRuleSpec,
  parseGrouping,
  parseRuleState,
  ruleStateName,
  validActivity,
  validComment,
  validMeta,
  validPriority,
  validRseExpression,
} from './rule-input.js';
import { removeRule } from './rule-release.js';
import type { DidRef } from '../dids/did.types.js';
import type {
  DeleteRuleOptions,
  LockView,
  MoveOverrides,
  RuleListFilter,
  RuleRemovalResult,
  RuleSpec,
  RuleUpdate,
  RuleView,
} from './rule.types.js';


const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

const describeDids = (dids: readonly DidRef[]): string =>
  dids.length === 1 ? formatDid(dids[0]) : `${formatDid(dids[0])} and ${dids.length - 1} more DID(s)`;

/** Placement failures an asynchronous evaluation records on the rule (STUCK) instead of raising. */
function isPlacementFailure(error: unknown): error is TarnError {
  return (
    error instanceof QuotaExceeded ||
    (error instanceof InvalidInput && (error.rucioClass === 'InvalidRSEExpression' || error.rucioClass === 'InvalidRuleWeight'))
  );
}

/** The most rules one page of a listing holds, and how far it may skip (an offset scan past that is the wrong tool). */
export const RULE_PAGE_LIMITS = { limit: 1000, offset: 1_000_000 };

function assertRulePage(page: RuleListFilter['page']): void {
  if (!page) return;
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > RULE_PAGE_LIMITS.limit) {
    throw new InvalidInput(`A page of rules holds 1 to ${RULE_PAGE_LIMITS.limit} rules, not ${page.limit}: give a limit in that range.`, {
      rucioClass: 'InputValidationError',
    });
  }
  if (!Number.isSafeInteger(page.offset) || page.offset < 0 || page.offset > RULE_PAGE_LIMITS.offset) {
    throw new InvalidInput(`A page of rules starts 0 to ${RULE_PAGE_LIMITS.offset} rules in, not ${page.offset}: narrow the filter instead.`, {
      rucioClass: 'InputValidationError',
    });
  }
}

/**
 * Replication rules: creation (placement, locks, replicas, transfers, usage in one transaction), approval,
 * injection of deferred rules, reads, updates, deletion and expiry, moves.
 */
@Injectable()
export class RuleService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RuleCreator) private readonly creator: RuleCreator,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  /** Creates one rule per DID of each spec, all in one transaction; returns the rule ids in order. */
  async addRules(issuer: Issuer, specs: RuleSpec | RuleSpec[]): Promise<string[]> {
    const now = new Date();
    const list = (Array.isArray(specs) ? specs : [specs]).map((spec) => normalizeRuleSpec(spec, issuer, now));
    const what = `rule on ${describeDids(list.flatMap((s) => s.dids))}`;
    return unitOfWork(this.dataSource, { what }, (manager) => this.creator.insertRules(manager, issuer, list));
  }

  private async requireRule(manager: EntityManager, ruleId: string, lock: 'none' | 'update' = 'none'): Promise<RuleRecord> {
    const rule = await ruleRepository.findById(manager, ruleId, lock);
    if (!rule) throw NotFound.rule(ruleId);
    return rule;
  }

  /**
   * Evaluates a deferred (INJECT) rule now, for the injector daemon. Returns false when there is nothing to do
   * (gone, not INJECT, or another injector holds it). A placement that fails (quota, space, RSEs) leaves the
   * rule STUCK with the reason, for the repairer.
   */
  async injectRule(ruleId: string): Promise<boolean> {
    return unitOfWork(this.dataSource, { what: `injection of rule ${ruleId}` }, async (manager) => {
      const rule = await ruleRepository.findById(manager, ruleId, 'update-skip-locked');
      if (!rule || rule.state !== RuleState.INJECT) return false;
      const skipQuota = rule.ignoreAccountLimit || (await isAdminAccount(manager, rule.account));
      const events: TarnEvent[] = [];
      await manager.query('SAVEPOINT tarn_inject');
      try {
        await this.creator.evaluateNow(manager, rule, skipQuota, events);
        await manager.query('RELEASE SAVEPOINT tarn_inject');
      } catch (error) {
        if (!isPlacementFailure(error)) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT tarn_inject');
        const message = error.message.slice(0, 4000);
        await ruleRepository.update(manager, rule.id, { state: RuleState.STUCK, error: message, stuckAt: new Date() });
        events.push(tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error: message }));
      }
      await appendEvents(manager, events);
      return true;
    });
  }

  /** Approves a WAITING_APPROVAL rule (administrators): it is evaluated now, or by the injector when large. */
  async approveRule(issuer: Issuer, ruleId: string): Promise<RuleView> {
    this.permissions.assertAdmin(issuer, `approve rule ${ruleId}`);
    await unitOfWork(this.dataSource, { what: `approval of rule ${ruleId}` }, async (manager) => {
      const rule = await this.requireRule(manager, ruleId, 'update');
      if (rule.state !== RuleState.WAITING_APPROVAL) {
        throw new InvalidInput(`Rule ${ruleId} is ${ruleStateName(rule.state)}, not waiting for approval; nothing to approve.`, {
          rucioClass: 'UnsupportedOperation',
          details: { ruleId, state: rule.state },
        });
      }
      // As in Rucio, an approved rule is no longer held to the account's quota.
      const approved = { ...rule, ignoreAccountLimit: true, state: RuleState.INJECT };
      await ruleRepository.update(manager, rule.id, { state: RuleState.INJECT, ignoreAccountLimit: true });
      const large = (await this.creator.fileCount(manager, rule.didType, rule, null)) > (await this.creator.injectThreshold(manager));
      const events: TarnEvent[] = [];
      if (!large) await this.creator.evaluateNow(manager, approved, true, events);
      await appendEvents(manager, events);
    });
    return this.getRule(issuer, ruleId);
  }

  /** Denies a WAITING_APPROVAL rule (administrators): it is deleted. */
  async denyRule(issuer: Issuer, ruleId: string, reason?: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `deny rule ${ruleId}`);
    await unitOfWork(this.dataSource, { what: `denial of rule ${ruleId}` }, async (manager) => {
      const rule = await this.requireRule(manager, ruleId, 'update');
      if (rule.state !== RuleState.WAITING_APPROVAL) {
        throw new InvalidInput(`Rule ${ruleId} is ${ruleStateName(rule.state)}, not waiting for approval; delete it instead.`, {
          rucioClass: 'UnsupportedOperation',
          details: { ruleId, state: rule.state },
        });
      }
      await removeRule(manager, rule, { purgeReplicas: rule.purgeReplicas, why: `was denied${reason ? ` (${reason})` : ''}` });
      await appendEvents(manager, [tarnEvent('rule.deleted', { ruleId: rule.id, scope: rule.scope, name: rule.name })]);
    });
  }

  async getRule(issuer: Issuer, ruleId: string): Promise<RuleView> {
    const manager = this.dataSource.manager;
    const rule = await this.requireRule(manager, ruleId);
    await this.permissions.assertCanReadScopes(manager, issuer, [rule.scope]);
    return rule;
  }

  /** Rules matching the filter, in creation order, read through a cursor (rules on unreadable scopes left out). */
  async listRules(issuer: Issuer, filter: RuleListFilter = {}): Promise<RowStream<RuleView>> {
    const state = filter.state === undefined ? undefined : parseRuleState(filter.state);
    const didType = filter.didType === undefined ? undefined : parseDidType(filter.didType);
    const grouping = filter.grouping === undefined ? undefined : parseGrouping(filter.grouping);
    if (filter.id !== undefined && !UUID.test(filter.id)) throw NotFound.rule(filter.id);
    assertRulePage(filter.page);
    if (filter.subscriptionId !== undefined && !UUID.test(filter.subscriptionId)) {
      throw new InvalidInput(`subscription_id '${filter.subscriptionId}' is not a subscription id (a UUID).`, { rucioClass: 'InvalidObject' });
    }
    return openRowStream(this.dataSource, 'listing of rules', async (manager) => {
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const { sql, params } = ruleRepository.listQuery({ ...filter, state, didType, grouping, excludeScopes });
      return openCursor(manager, sql, params, { map: toRuleRecord });
    });
  }

  /** The file locks of a rule: state, RSE, reason and last error of each (`notOk`: the others, STUCK first, at most `limit`). */
  async listRuleLocks(issuer: Issuer, ruleId: string, options: { notOk?: boolean; limit?: number } = {}): Promise<RowStream<LockView>> {
    return openRowStream(this.dataSource, `locks of rule ${ruleId}`, async (manager) => {
      const rule = await this.requireRule(manager, ruleId);
      await this.permissions.assertCanReadScopes(manager, issuer, [rule.scope]);
      const { sql, params } = lockRepository.listQuery(ruleId, options);
      return openCursor(manager, sql, params, { map: toLockRecord });
    });
  }

  /** What a rule's locks that are not OK wait for, grouped by state and reason (largest groups first). */
  async lockReasons(issuer: Issuer, ruleId: string): Promise<LockReasonGroup[]> {
    const manager = this.dataSource.manager;
    const rule = await this.requireRule(manager, ruleId);
    await this.permissions.assertCanReadScopes(manager, issuer, [rule.scope]);
    return lockReasonRepository.summary(manager, ruleId);
  }

  /**
   * Every state and setting a rule went through (Rucio's list_replication_rule_history), oldest first; it stays
   * listable after the rule is gone.
   */
  async listRuleHistory(issuer: Issuer, ruleId: string): Promise<RowStream<RuleHistoryRecord>> {
    return openRowStream(this.dataSource, `history of rule ${ruleId}`, async (manager) => {
      const rule = await ruleRepository.findById(manager, ruleId);
      const scope = rule?.scope ?? (await ruleHistoryRepository.scopeOfRule(manager, ruleId));
      if (scope === null) throw NotFound.rule(ruleId);
      await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
      const { sql, params } = ruleHistoryRepository.ofRuleQuery(ruleId);
      return openCursor(manager, sql, params, { map: toRuleHistoryRecord });
    });
  }

  /** The rules a DID had: one row when each was created, one when it was deleted (list_replication_rule_full_history). */
  async listDidRuleHistory(issuer: Issuer, did: DidRef): Promise<RowStream<RuleHistoryRecord>> {
    return openRowStream(this.dataSource, `rule history of ${formatDid(did)}`, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, [did.scope]);
      const { sql, params } = ruleHistoryRepository.ofDidQuery(did.scope, did.name);
      return openCursor(manager, sql, params, { map: toRuleHistoryRecord });
    });
  }

  /** Rules directly on the DID. */
  async listRulesOfDid(issuer: Issuer, did: DidRef): Promise<RuleView[]> {
    const manager = this.dataSource.manager;
    await this.permissions.assertCanReadScopes(manager, issuer, [did.scope]);
    if (!(await findDid(manager, did.scope, did.name))) throw NotFound.did(did.scope, did.name);
    return ruleRepository.ofDid(manager, did.scope, did.name);
  }

  /** Rules that protect the DID: on it and on every dataset and container above it (list_associated_rules_for_file). */
  async listAssociatedRules(issuer: Issuer, did: DidRef): Promise<RuleView[]> {
    const manager = this.dataSource.manager;
    await this.permissions.assertCanReadScopes(manager, issuer, [did.scope]);
    if (!(await findDid(manager, did.scope, did.name))) throw NotFound.did(did.scope, did.name);
    const rules = await ruleRepository.associated(manager, did.scope, did.name);
    const hidden = new Set(await this.permissions.unreadableScopes(manager, issuer));
    return rules.filter((rule) => !hidden.has(rule.scope));
  }

  /** Changes a rule (its owner or an administrator; moving it to another account: administrators only). */
  async updateRule(issuer: Issuer, ruleId: string, update: RuleUpdate): Promise<RuleView> {
    if (!update || typeof update !== 'object') {
      throw new InvalidInput('Give the rule options to change, e.g. { lifetime: 86400 } or { locked: false }.', { rucioClass: 'InputValidationError' });
    }
    const now = new Date();
    if (update.account !== undefined) this.permissions.assertAdmin(issuer, `move rule ${ruleId} to account '${update.account}'`);
    const columns: RuleUpdateColumns = {};
    if (update.lifetime !== undefined && update.expiresAt !== undefined && update.lifetime !== null && update.expiresAt !== null) {
      throw new InvalidInput(`Give either a lifetime or an expiry time for rule ${ruleId}, not both.`, { rucioClass: 'InvalidValueForKey' });
    }
    if (update.lifetime !== undefined) columns.expiresAt = expiryFromLifetime(update.lifetime, now, `the lifetime of rule ${ruleId}`);
    if (update.expiresAt !== undefined) columns.expiresAt = update.expiresAt === null ? null : expiryFromDate(update.expiresAt, now, `the expiry of rule ${ruleId}`);
    if (update.locked !== undefined) {
      if (typeof update.locked !== 'boolean') throw new InvalidInput(`locked must be true or false for rule ${ruleId}.`, { rucioClass: 'InputValidationError' });
      columns.locked = update.locked;
    }
    if (update.comment !== undefined) columns.comments = validComment(update.comment);
    if (update.activity !== undefined) columns.activity = validActivity(update.activity);
    if (update.priority !== undefined) columns.priority = validPriority(update.priority);
    if (update.purgeReplicas !== undefined) columns.purgeReplicas = Boolean(update.purgeReplicas);
    if (update.meta !== undefined) columns.meta = validMeta(update.meta);
    if (update.sourceReplicaExpression !== undefined) {
      columns.sourceReplicaExpression =
        update.sourceReplicaExpression === null ? null : validRseExpression(update.sourceReplicaExpression, 'source replica expression');
    }
    const targetState = update.state === undefined ? undefined : parseRuleState(update.state);
    if (targetState !== undefined && ![RuleState.SUSPENDED, RuleState.STUCK, RuleState.REPLICATING, RuleState.OK].includes(targetState)) {
      throw new InvalidInput(
        `A rule's state can be set to SUSPENDED or STUCK, or back to REPLICATING/OK to resume a suspended rule; not ${ruleStateName(targetState)}.`,
        { rucioClass: 'UnsupportedStatus' },
      );
    }
    if (update.cancelRequests && targetState !== RuleState.STUCK && targetState !== RuleState.SUSPENDED) {
      throw new InvalidInput(`cancel_requests goes with state STUCK or SUSPENDED (rule ${ruleId}).`, { rucioClass: 'InputValidationError' });
    }
    if (update.boost) this.permissions.assertAdmin(issuer, `boost rule ${ruleId}`);
    if (update.childRuleId !== undefined && update.childRuleId !== null && !UUID.test(update.childRuleId)) throw NotFound.rule(update.childRuleId);

    await unitOfWork(this.dataSource, { what: `update of rule ${ruleId}` }, async (manager) => {
      const rule = await this.requireRule(manager, ruleId, 'update');
      this.permissions.assertCanManageRule(issuer, rule, 'update');
      const events: TarnEvent[] = [];
      if (columns.sourceReplicaExpression) await this.expressions.resolve(manager, columns.sourceReplicaExpression);
      if (targetState === RuleState.SUSPENDED) columns.state = RuleState.SUSPENDED;
      else if (targetState === RuleState.STUCK) await this.markStuck(manager, rule, issuer, columns, update.cancelRequests === true, events);
      else if (targetState !== undefined && rule.state === RuleState.SUSPENDED) {
        const resumed = rule.locksStuckCnt > 0 ? RuleState.STUCK : rule.locksReplicatingCnt > 0 ? RuleState.REPLICATING : RuleState.OK;
        columns.state = resumed;
        if (resumed === RuleState.OK) events.push(tarnEvent('rule.ok', { ruleId: rule.id, scope: rule.scope, name: rule.name }));
      }
      if (targetState === RuleState.SUSPENDED && update.cancelRequests) {
        await lockRepository.markReplicatingStuck(manager, rule.id, {
          code: LockReasonCode.MANUAL,
          text: `the rule was suspended by ${issuer.account} and its transfers cancelled; update its state to resume it`,
        });
        await requestRepository.cancelForStuckLocksOfRule(manager, rule.id, `cancelled: rule ${rule.id} was suspended by ${issuer.account}`);
        const counted = await lockRepository.countByState(manager, rule.id);
        Object.assign(columns, { locksOkCnt: counted.ok, locksReplicatingCnt: counted.replicating, locksStuckCnt: counted.stuck });
      }
      if (update.childRuleId !== undefined) columns.childRuleId = await this.validChild(manager, rule, update.childRuleId);
      if (update.boost) {
        // The repairer takes a stuck rule whose back-off is over; a boosted rule's is over now.
        if ((columns.state ?? rule.state) === RuleState.STUCK) columns.stuckAt = new Date(0);
        await requestRepository.retryNowForRule(manager, rule.id);
      }
      if (update.account !== undefined && update.account !== rule.account) await this.changeAccount(manager, rule, update.account);
      await ruleRepository.update(manager, rule.id, columns);
      await requestRepository.updateOfRule(manager, rule.id, { activity: columns.activity, priority: columns.priority });
      await appendEvents(manager, events);
    });
    return this.getRule(issuer, ruleId);
  }

  /**
   * STUCK by hand (Rucio's `rule update --stuck`): the rule's replicating locks become stuck, so that the repairer
   * retries them (elsewhere if they keep failing); with cancelRequests their queued transfers go first.
   */
  private async markStuck(
    manager: EntityManager,
    rule: RuleRecord,
    issuer: Issuer,
    columns: RuleUpdateColumns,
    cancelRequests: boolean,
    events: TarnEvent[],
  ): Promise<void> {
    const reason = `marked stuck by ${issuer.account}`;
    await lockRepository.markReplicatingStuck(manager, rule.id, { code: LockReasonCode.MANUAL, text: `${reason}; the rule-repairer retries it` });
    if (cancelRequests) await requestRepository.cancelForStuckLocksOfRule(manager, rule.id, `cancelled: rule ${rule.id} was ${reason}`);
    const counted = await lockRepository.countByState(manager, rule.id);
    Object.assign(columns, {
      state: RuleState.STUCK,
      stuckAt: new Date(),
      error: rule.error ?? `Rule ${reason}.`,
      locksOkCnt: counted.ok,
      locksReplicatingCnt: counted.replicating,
      locksStuckCnt: counted.stuck,
    });
    events.push(tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error: `Rule ${reason}.` }));
  }

  /** A child rule (as a move makes) must be another rule on the same DID; null unlinks. */
  private async validChild(manager: EntityManager, rule: RuleRecord, childRuleId: string | null): Promise<string | null> {
    if (childRuleId === null) return null;
    const child = await ruleRepository.findById(manager, childRuleId);
    if (!child) throw NotFound.rule(childRuleId);
    if (child.id === rule.id || child.scope !== rule.scope || child.name !== rule.name) {
      throw new InvalidInput(`Rule ${childRuleId} cannot be the child of rule ${rule.id}: a child is another rule on the same DID (${formatDid(rule)}).`, {
        rucioClass: 'InputValidationError',
        details: { ruleId: rule.id, childRuleId },
      });
    }
    return child.id;
  }

  /** The locks, dataset locks and account usage move with the rule to the new account. */
  private async changeAccount(manager: EntityManager, rule: RuleRecord, account: string): Promise<void> {
    const owner = await findAccount(manager, account);
    if (!owner || owner.deletedAt) throw NotFound.account(account);
    if (await ruleRepository.findDuplicate(manager, { ...rule, account })) {
      throw Duplicate.rule(rule.scope, rule.name, account, rule.rseExpression, rule.copies);
    }
    const usage = await lockRepository.usageOfRule(manager, rule.id);
    await lockRepository.addAccountUsage(manager, rule.account, usage.map((u) => ({ ...u, files: -u.files, bytes: -u.bytes })));
    await lockRepository.addAccountUsage(manager, account, usage);
    await lockRepository.setAccountOfRule(manager, rule.id, account);
    await datasetLockRepository.setAccountOfRule(manager, rule.id, account);
    await ruleRepository.update(manager, rule.id, { account });
  }

  /** Deletes a rule (its owner or an administrator). A locked rule must be unlocked first. */
  async deleteRule(issuer: Issuer, ruleId: string, options: DeleteRuleOptions = {}): Promise<RuleRemovalResult> {
    return unitOfWork(this.dataSource, { what: `deletion of rule ${ruleId}` }, async (manager) => {
      const rule = await this.requireRule(manager, ruleId, 'update');
      this.permissions.assertCanManageRule(issuer, rule, 'delete');
      if (rule.locked) {
        throw new InvalidInput(
          `Rule ${ruleId} on ${formatDid(rule)} is locked and cannot be deleted. Unlock it first (update the rule with locked=false), then delete it.`,
          { rucioClass: 'UnsupportedOperation', details: { ruleId } },
        );
      }
      const result = await removeRule(manager, rule, { purgeReplicas: options.purgeReplicas ?? rule.purgeReplicas, why: 'was deleted' });
      await appendEvents(manager, [tarnEvent('rule.deleted', { ruleId: rule.id, scope: rule.scope, name: rule.name })]);
      return result;
    });
  }

  /** Ids of expired rules for the cleaner daemon, oldest expiry first (locked and moved rules are left out). */
  async expiredRuleIds(limit = 200, now = new Date()): Promise<string[]> {
    return ruleRepository.expired(this.dataSource.manager, now, limit);
  }

  /**
   * Removes a rule whose lifetime is over, for the cleaner daemon, like a deletion (rule.expired). As in Rucio, a
   * locked rule outlives its lifetime until it is unlocked, and a moved rule goes when its child is OK. Returns
   * null when the rule is gone, not expired, locked or moved.
   */
  async expireRule(ruleId: string, now = new Date()): Promise<RuleRemovalResult | null> {
    return unitOfWork(this.dataSource, { what: `expiry of rule ${ruleId}` }, async (manager) => {
      const rule = await ruleRepository.findById(manager, ruleId, 'update');
      if (!rule || !isExpired(rule.expiresAt, now) || rule.locked || rule.childRuleId) return null;
      if (await lifetimeExceptionRepository.covers(manager, rule, now)) return null;
      const result = await removeRule(manager, rule, { purgeReplicas: rule.purgeReplicas, why: 'expired' });
      await appendEvents(manager, [tarnEvent('rule.expired', { ruleId: rule.id, scope: rule.scope, name: rule.name })]);
      return result;
    });
  }

  /**
   * Moves a rule to other RSEs: a child rule with the new expression (and the same DID, account, copies and
   * options unless overridden) is created and linked from the parent; the parent goes once the child is OK
   * (releaseParentsOfOkChildren). Returns the child's id.
   */
  async moveRule(issuer: Issuer, ruleId: string, newRseExpression: string, overrides: MoveOverrides = {}): Promise<string> {
    validRseExpression(newRseExpression);
    const now = new Date();
    return unitOfWork(this.dataSource, { what: `move of rule ${ruleId}` }, async (manager) => {
      const parent = await this.requireRule(manager, ruleId, 'update');
      this.permissions.assertCanManageRule(issuer, parent, 'move');
      if (parent.childRuleId) {
        throw new InvalidInput(`Rule ${ruleId} was already moved (child rule ${parent.childRuleId}); move or delete that one instead.`, {
          rucioClass: 'RuleReplaceFailed',
          details: { ruleId, childRuleId: parent.childRuleId },
        });
      }
      const inheritExpiry = overrides.lifetime === undefined && overrides.expiresAt === undefined;
      const spec: RuleSpec = {
        dids: [{ scope: parent.scope, name: parent.name }],
        account: parent.account,
        copies: overrides.copies ?? parent.copies,
        rseExpression: newRseExpression,
        weight: overrides.weight === undefined ? parent.weight : overrides.weight,
        lifetime: overrides.lifetime,
        expiresAt: inheritExpiry ? (parent.expiresAt && !isExpired(parent.expiresAt, now) ? parent.expiresAt : null) : overrides.expiresAt,
        grouping: overrides.grouping ?? parent.grouping,
        locked: parent.locked,
        sourceReplicaExpression: overrides.sourceReplicaExpression === undefined ? parent.sourceReplicaExpression : overrides.sourceReplicaExpression,
        activity: overrides.activity ?? parent.activity,
        priority: parent.priority,
        notify: parent.notification,
        purgeReplicas: overrides.purgeReplicas ?? parent.purgeReplicas,
        ignoreAvailability: parent.ignoreAvailability,
        ignoreAccountLimit: parent.ignoreAccountLimit && issuer.admin,
        comment: overrides.comment === undefined ? parent.comments : overrides.comment,
        meta: overrides.meta === undefined ? parent.meta : overrides.meta,
        subscriptionId: parent.subscriptionId,
      };
      const [childId] = await this.creator.insertRules(manager, issuer, [normalizeRuleSpec(spec, issuer, now)]);
      await ruleRepository.update(manager, ruleId, { childRuleId: childId });
      return childId;
    });
  }

  /** Deletes the parents of moved rules whose child is OK (for the cleaner daemon); returns their ids. */
  async releaseParentsOfOkChildren(limit = 100): Promise<string[]> {
    const candidates = await ruleRepository.parentsOfOkChildren(this.dataSource.manager, limit);
    const released: string[] = [];
    for (const parentId of candidates) {
      const done = await unitOfWork(this.dataSource, { what: `release of moved rule ${parentId}` }, async (manager) => {
        const parent = await ruleRepository.findById(manager, parentId, 'update');
        if (!parent?.childRuleId) return false;
        const child = await ruleRepository.findById(manager, parent.childRuleId);
        if (child?.state !== RuleState.OK) return false;
        await removeRule(manager, parent, { purgeReplicas: parent.purgeReplicas, why: `was replaced by rule ${child.id}` });
        await appendEvents(manager, [tarnEvent('rule.deleted', { ruleId: parent.id, scope: parent.scope, name: parent.name })]);
        return true;
      });
      if (done) released.push(parentId);
    }
    return released;
  }
}
