import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { accountProblem, Duplicate, Forbidden, InvalidInput, NotFound, SubscriptionState } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findAccount } from '@tarn/catalogue/repositories/account.repository.js';
import { type SubscriptionRecord, subscriptionRepository } from '@tarn/catalogue/repositories/subscription.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import { parseRuleTemplates, type RuleTemplate } from './rule-template.js';
import { parseSubscriptionFilter } from './subscription-filter.js';
import type { SubscriptionOptions, SubscriptionView } from './subscription.types.js';

const STATES: Record<string, SubscriptionState> = { ACTIVE: SubscriptionState.ACTIVE, A: SubscriptionState.ACTIVE, INACTIVE: SubscriptionState.INACTIVE, I: SubscriptionState.INACTIVE };

/** Rucio's subscription priority (its policyid): a whole number 1 to 5; undefined when not given. */
function subscriptionPriority(value: unknown, owner: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const priority = Number(value);
  if (!Number.isInteger(priority) || priority < 1 || priority > 5) {
    throw new InvalidInput(`The priority of ${owner} must be a whole number from 1 to 5, not ${JSON.stringify(value)}.`, { rucioClass: 'InputValidationError' });
  }
  return priority;
}

export function subscriptionView(r: SubscriptionRecord): SubscriptionView {
  return { ...r, replicationRules: r.replicationRules as unknown as RuleTemplate[] };
}

function notFound(what: string): NotFound {
  return new NotFound(`No subscription ${what}. List the subscriptions (GET /subscriptions/<account>) to see their names.`, { rucioClass: 'SubscriptionNotFound' });
}

/**
 * Subscriptions (Rucio's): a DID filter plus rule templates; the transmogrifier daemon gives every new matching DID
 * those rules, once (and the DIDs that existed before, when retroactive).
 */
@Injectable()
export class SubscriptionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  async addSubscription(issuer: Issuer, account: string, name: string, options: SubscriptionOptions): Promise<string> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'add subscriptions');
    const problem = accountProblem(account);
    if (problem) throw new InvalidInput(`Invalid account '${account}': ${problem}.`, { rucioClass: 'InputValidationError' });
    if (typeof name !== 'string' || name.trim() === '' || name.length > 255) {
      throw new InvalidInput('A subscription needs a name of 1 to 255 characters.', { rucioClass: 'InputValidationError' });
    }
    const owner = `subscription '${name}'`;
    const filter = options?.filter ?? {};
    parseSubscriptionFilter(filter, owner);
    const rules = parseRuleTemplates(options?.replication_rules, owner);
    if (rules.length === 0) throw new InvalidInput(`Subscription '${name}' needs replication_rules: at least one {copies, rse_expression}.`, { rucioClass: 'InvalidReplicationRule' });
    return unitOfWork(this.dataSource, { what: owner }, async (manager) => {
      if (!(await findAccount(manager, account))) throw NotFound.account(account);
      for (const rule of rules) await this.expressions.resolve(manager, rule.rseExpression);
      const created = await subscriptionRepository.insert(manager, {
        name,
        account,
        state: SubscriptionState.ACTIVE,
        filter,
        replicationRules: rules as never,
        retroactive: Boolean(options?.retroactive),
        comments: options?.comments ?? null,
        priority: subscriptionPriority(options?.priority, owner) ?? 3,
        expiredAt: lifetimeEnd(options?.lifetime),
      });
      if (!created) {
        throw new Duplicate(`Account '${account}' has a subscription named '${name}' already; update it instead.`, { rucioClass: 'SubscriptionDuplicate' });
      }
      return created.id;
    });
  }

  async updateSubscription(issuer: Issuer, account: string, name: string, options: SubscriptionOptions): Promise<SubscriptionView> {
    this.permissions.assertSelfOrAdmin(issuer, account, 'change subscriptions');
    const owner = `subscription '${name}' of '${account}'`;
    return unitOfWork(this.dataSource, { what: owner }, async (manager) => {
      const [current] = await subscriptionRepository.list(manager, { account, name });
      if (!current) throw notFound(`'${name}' of account '${account}'`);
      const filter = options?.filter ?? current.filter;
      parseSubscriptionFilter(filter, owner);
      const rules = options?.replication_rules !== undefined ? parseRuleTemplates(options.replication_rules, owner) : (current.replicationRules as never as RuleTemplate[]);
      for (const rule of rules) await this.expressions.resolve(manager, rule.rseExpression);
      let state = current.state;
      if (options?.state !== undefined) {
        state = STATES[String(options.state).toUpperCase()];
        if (!state) throw new InvalidInput(`Unknown subscription state '${options.state}': use ACTIVE or INACTIVE.`, { rucioClass: 'InputValidationError' });
      } else if (options?.filter !== undefined || options?.replication_rules !== undefined) {
        state = current.state === SubscriptionState.INACTIVE ? current.state : SubscriptionState.UPDATED;
      }
      const updated = await subscriptionRepository.update(manager, current.id, {
        name,
        account,
        state,
        filter,
        replicationRules: rules as never,
        retroactive: options?.retroactive ?? current.retroactive,
        comments: options?.comments !== undefined ? options.comments : current.comments,
        priority: subscriptionPriority(options?.priority, owner) ?? current.priority,
        expiredAt: options?.lifetime !== undefined ? lifetimeEnd(options.lifetime) : current.expiredAt,
      });
      return subscriptionView(updated);
    });
  }

  /** Subscriptions by account and/or name (any account may read them, as in Rucio). */
  async listSubscriptions(_issuer: Issuer, by: { account?: string | null; name?: string | null; id?: string | null } = {}): Promise<SubscriptionView[]> {
    const rows = await subscriptionRepository.list(this.dataSource.manager, by);
    if (rows.length === 0 && (by.name || by.id)) throw notFound(by.name ? `named '${by.name}'${by.account ? ` of account '${by.account}'` : ''}` : `with id ${by.id}`);
    return rows.map(subscriptionView);
  }

  /** One subscription by its id (Rucio's GET /subscriptions/Id/{id}). */
  async getById(issuer: Issuer, id: string): Promise<SubscriptionView> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound(`with id ${id}`);
    const [view] = await this.listSubscriptions(issuer, { id });
    return view;
  }

  /** Rules made per subscription and state, as Rucio's list_subscription_rule_states: (account, name, state, count). */
  async ruleStates(_issuer: Issuer, account: string, name?: string): Promise<Array<{ account: string; name: string; state: string; count: number }>> {
    if (name !== undefined && (await subscriptionRepository.list(this.dataSource.manager, { account, name })).length === 0) {
      throw notFound(`'${name}' of account '${account}'`);
    }
    return subscriptionRepository.ruleStates(this.dataSource.manager, account, name ?? null);
  }

  /** The rules a subscription made (Rucio's GET /subscriptions/{account}/{name}/rules). */
  async listRuleIds(_issuer: Issuer, account: string, name: string): Promise<string[]> {
    const [sub] = await subscriptionRepository.list(this.dataSource.manager, { account, name });
    if (!sub) throw notFound(`'${name}' of account '${account}'`);
    const rows = await this.dataSource.query(`SELECT id FROM rules WHERE subscription_id = $1 ORDER BY created_at`, [sub.id]);
    return rows.map((r: { id: string }) => r.id);
  }

  async deleteSubscription(issuer: Issuer, account: string, name: string): Promise<void> {
    if (!issuer.admin && issuer.account !== account) throw new Forbidden(`Account '${issuer.account}' may not delete subscriptions of '${account}'.`);
    await unitOfWork(this.dataSource, { what: `subscription '${name}' of '${account}'` }, async (manager) => {
      const [current] = await subscriptionRepository.list(manager, { account, name });
      if (!current) throw notFound(`'${name}' of account '${account}'`);
      await subscriptionRepository.delete(manager, current.id);
    });
  }
}

/** Rucio's subscription lifetime is in days (the stock client's `--lifetime 2` is two days); fractions allowed. */
function lifetimeEnd(lifetime: number | null | false | undefined): Date | null {
  if (lifetime === undefined || lifetime === null || lifetime === false) return null;
  const days = Number(lifetime);
  if (!Number.isFinite(days) || days <= 0) throw new InvalidInput(`Invalid subscription lifetime ${JSON.stringify(lifetime)}: days above 0.`, { rucioClass: 'InputValidationError' });
  return new Date(Date.now() + days * 86_400_000);
}
