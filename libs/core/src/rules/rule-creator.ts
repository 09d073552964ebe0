import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DidType, Duplicate, NotFound, RuleState } from '@tarn/domain';
import { appendEvents, tarnEvent, TarnEvent } from '@tarn/events';
import { sqlState } from '@tarn/catalogue';
import { findAccount, isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import { findDid } from '@tarn/catalogue/repositories/did.repository.js';
import { NewRule, ruleRepository } from '@tarn/catalogue/repositories/rule.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import type { DidRef } from '../dids/did.types.js';
import { PlaceableRule, RuleEvaluator } from './rule-evaluator.js';
import { NormalizedRuleSpec, ruleStateName } from './rule-input.js';

/** Rules with more files than this are evaluated later by the injector (configs: rules/inject_threshold). */
export const DEFAULT_INJECT_THRESHOLD = 100_000;
const RULE_UNIQUE_INDEX = 'rules_did_account_expression_copies_uq';

/**
 * Creates rules inside the caller's transaction: checks (account, permissions, duplicates), the rule row,
 * and its evaluation now (placement, locks, replicas, transfers, usage) unless it waits for approval or for
 * the injector. Used by RuleService for additions, moves, approvals and injections.
 */
@Injectable()
export class RuleCreator {
  constructor(
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RuleEvaluator) private readonly evaluator: RuleEvaluator,
  ) {}

  /** One rule per DID of each spec; returns their ids in order. */
  async insertRules(manager: EntityManager, issuer: Issuer, list: NormalizedRuleSpec[]): Promise<string[]> {
    for (const spec of list) {
      if (spec.account !== issuer.account) this.permissions.assertAdmin(issuer, `create rules for account '${spec.account}'`);
      if (spec.ignoreAccountLimit) this.permissions.assertAdmin(issuer, 'create rules that ignore account limits');
    }
    const threshold = await this.injectThreshold(manager);
    const ids: string[] = [];
    const events: TarnEvent[] = [];
    for (const spec of list) {
      const owner = await findAccount(manager, spec.account);
      if (!owner || owner.deletedAt) throw NotFound.account(spec.account);
      await this.permissions.assertCanReadScopes(manager, issuer, spec.dids.map((d) => d.scope));
      const skipQuota =
        spec.ignoreAccountLimit || (spec.account === issuer.account ? issuer.admin : await isAdminAccount(manager, spec.account));
      for (const did of spec.dids) ids.push(await this.createRule(manager, spec, did, { threshold, skipQuota, events }));
    }
    await appendEvents(manager, events);
    return ids;
  }

  private async createRule(
    manager: EntityManager,
    spec: NormalizedRuleSpec,
    did: DidRef,
    context: { threshold: number; skipQuota: boolean; events: TarnEvent[] },
  ): Promise<string> {
    const row = await findDid(manager, did.scope, did.name);
    if (!row) throw NotFound.did(did.scope, did.name);
    const key = { scope: did.scope, name: did.name, account: spec.account, rseExpression: spec.rseExpression, copies: spec.copies };
    if (await ruleRepository.findDuplicate(manager, key)) throw Duplicate.rule(key.scope, key.name, key.account, key.rseExpression, key.copies);

    let state = RuleState.REPLICATING;
    if (spec.askApproval) state = RuleState.WAITING_APPROVAL;
    else if (spec.asynchronous || (await this.fileCount(manager, row.didType, did, row.length)) > context.threshold) state = RuleState.INJECT;

    const rule: NewRule = {
      id: randomUUID(),
      subscriptionId: spec.subscriptionId,
      account: spec.account,
      scope: did.scope,
      name: did.name,
      didType: row.didType,
      state,
      rseExpression: spec.rseExpression,
      copies: spec.copies,
      expiresAt: spec.expiresAt,
      weight: spec.weight,
      locked: spec.locked,
      sourceReplicaExpression: spec.sourceReplicaExpression,
      activity: spec.activity,
      grouping: spec.grouping,
      notification: spec.notification,
      purgeReplicas: spec.purgeReplicas,
      ignoreAvailability: spec.ignoreAvailability,
      ignoreAccountLimit: spec.ignoreAccountLimit,
      priority: spec.priority,
      comments: spec.comment,
      meta: spec.meta,
    };
    try {
      await ruleRepository.insert(manager, rule);
    } catch (error) {
      // A concurrent request created the same rule after our check.
      if (sqlState(error) === '23505' && (error as { driverError?: { constraint?: string } }).driverError?.constraint === RULE_UNIQUE_INDEX) {
        throw Duplicate.rule(key.scope, key.name, key.account, key.rseExpression, key.copies);
      }
      throw error;
    }

    const created = (finalState: RuleState) =>
      tarnEvent('rule.created', {
        ruleId: rule.id,
        scope: rule.scope,
        name: rule.name,
        account: rule.account,
        rseExpression: rule.rseExpression,
        copies: rule.copies,
        state: ruleStateName(finalState),
      });
    if (state !== RuleState.REPLICATING) {
      await this.evaluator.checkTargets(manager, rule, context.skipQuota || spec.askApproval);
      context.events.push(created(state));
      return rule.id;
    }
    await this.evaluateNow(manager, rule, context.skipQuota, context.events, created);
    return rule.id;
  }

  /** Places the rule, writes its locks and counters, and queues its events (rule.created first when given). */
  /** Places the rule now; see RuleEvaluator. */
  async evaluateNow(
    manager: EntityManager,
    rule: PlaceableRule,
    skipQuota: boolean,
    events: TarnEvent[],
    created?: (state: RuleState) => TarnEvent,
  ): Promise<RuleState> {
    const result = await this.evaluator.evaluate(manager, rule, { skipQuota });
    await ruleRepository.writeCounters(manager, [
      {
        id: rule.id,
        state: result.state,
        locksOkCnt: result.counts.ok,
        locksReplicatingCnt: result.counts.replicating,
        locksStuckCnt: result.counts.stuck,
        error: result.error,
        stuckAt: result.state === RuleState.STUCK ? new Date() : null,
      },
    ]);
    if (created) events.push(created(result.state));
    if (result.state === RuleState.OK) events.push(tarnEvent('rule.ok', { ruleId: rule.id, scope: rule.scope, name: rule.name }));
    if (result.state === RuleState.STUCK) {
      events.push(tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error: result.error }));
    }
    return result.state;
  }

  async fileCount(manager: EntityManager, didType: DidType, did: DidRef, length: number | null): Promise<number> {
    if (didType === DidType.DATASET && length !== null) return length;
    return ruleRepository.countFiles(manager, did.scope, did.name, didType);
  }

  async injectThreshold(manager: EntityManager): Promise<number> {
    const value = Number(await ruleRepository.config(manager, 'rules', 'inject_threshold'));
    return Number.isFinite(value) && value > 0 ? value : DEFAULT_INJECT_THRESHOLD;
  }

}
