import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Duplicate, formatDid, SubscriptionState } from '@tarn/domain';
import { type SubscriptionRecord, subscriptionRepository } from '@tarn/catalogue/repositories/subscription.repository.js';
import { ROOT_ISSUER } from '../auth/issuer.js';
import { DidMetadataService } from '../dids/did-metadata.service.js';
import { RuleService } from '../rules/rule.service.js';
import { ruleSpecs, type RuleTemplate } from './rule-template.js';
import { parseSubscriptionFilter } from './subscription-filter.js';

export interface SubscriptionPassResult {
  subscriptions: number;
  didsMatched: number;
  rulesCreated: number;
  errors: Array<{ subscription: string; did?: string; error: string }>;
}

/** DIDs created this long before a subscription's last pass are looked at again (transactions commit late). */
const OVERLAP_MS = 5 * 60_000;

/**
 * The transmogrifier's work: for each ACTIVE (or new/updated) subscription, the DIDs created since its last pass
 * (all existing DIDs on the first pass of a retroactive one) that match its filter get its rules, each DID once:
 * subscription_dids records it after its rules exist, and rules this subscription already made on a DID count as
 * done (a pass that died between the two).
 */
@Injectable()
export class SubscriptionProcessor {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DidMetadataService) private readonly metadata: DidMetadataService,
    @Inject(RuleService) private readonly rules: RuleService,
  ) {}

  async runPass(): Promise<SubscriptionPassResult> {
    const manager = this.dataSource.manager;
    const now = new Date();
    await manager.query(
      `UPDATE subscriptions SET state = 'I', updated_at = now() WHERE expired_at IS NOT NULL AND expired_at <= now() AND state <> 'I'`,
    );
    const subs = await subscriptionRepository.list(manager, { states: [SubscriptionState.ACTIVE, SubscriptionState.NEW, SubscriptionState.UPDATED] });
    const result: SubscriptionPassResult = { subscriptions: subs.length, didsMatched: 0, rulesCreated: 0, errors: [] };
    for (const sub of subs) {
      const ok = await this.process(sub, result);
      if (ok) {
        await subscriptionRepository.setLastProcessed(manager, sub.id, now);
        if (sub.state !== SubscriptionState.ACTIVE) await manager.query(`UPDATE subscriptions SET state = 'A' WHERE id = $1 AND state = $2`, [sub.id, sub.state]);
      }
    }
    return result;
  }

  private async process(sub: SubscriptionRecord, result: SubscriptionPassResult): Promise<boolean> {
    const manager = this.dataSource.manager;
    let filter;
    try {
      filter = parseSubscriptionFilter(sub.filter, `subscription '${sub.name}'`);
    } catch (error) {
      result.errors.push({ subscription: sub.name, error: (error as Error).message });
      await manager.query(`UPDATE subscriptions SET state = 'B' WHERE id = $1`, [sub.id]);
      return false;
    }
    const since = sub.lastProcessed
      ? new Date(sub.lastProcessed.getTime() - OVERLAP_MS)
      : sub.retroactive
        ? null
        : new Date(sub.createdAt.getTime() - OVERLAP_MS);
    const group: Record<string, unknown> = { ...filter.didFilter };
    if (since) group['created_at.gte'] = since;
    const scopes = filter.scopes ?? (await subscriptionRepository.scopes(manager));
    let ok = true;
    for (const scope of scopes) {
      const stream = await this.metadata.search(ROOT_ISSUER, scope, { filters: [group], batchSize: 1000 });
      let batch: Array<{ scope: string; name: string }> = [];
      const flush = async () => {
        const candidates = batch.filter((d) => !filter.pattern || filter.pattern.test(d.name));
        batch = [];
        const done = await subscriptionRepository.handled(manager, sub.id, candidates);
        for (const did of candidates.filter((d) => !done.has(`${d.scope}:${d.name}`))) {
          result.didsMatched++;
          try {
            await this.applyRules(sub, did, result);
          } catch (error) {
            ok = false;
            result.errors.push({ subscription: sub.name, did: formatDid(did), error: (error as Error).message });
          }
        }
      };
      for await (const row of stream) {
        batch.push({ scope: row.scope, name: row.name });
        if (batch.length >= 1000) await flush();
      }
      await flush();
    }
    return ok;
  }

  private async applyRules(sub: SubscriptionRecord, did: { scope: string; name: string }, result: SubscriptionPassResult): Promise<void> {
    const manager = this.dataSource.manager;
    let created = await subscriptionRepository.rulesOf(manager, sub.id, did);
    if (created === 0) {
      const specs = ruleSpecs(sub.replicationRules as unknown as RuleTemplate[], did, sub.account, { subscriptionId: sub.id, priority: sub.priority });
      try {
        created = (await this.rules.addRules(ROOT_ISSUER, specs)).length;
      } catch (error) {
        if (!(error instanceof Duplicate)) throw error;
        // The same rule exists already (made by hand): make the others one by one.
        for (const spec of specs) {
          try {
            created += (await this.rules.addRules(ROOT_ISSUER, spec)).length;
          } catch (inner) {
            if (!(inner instanceof Duplicate)) throw inner;
          }
        }
      }
      result.rulesCreated += created;
    }
    await subscriptionRepository.markHandled(manager, sub.id, did, created);
  }
}
