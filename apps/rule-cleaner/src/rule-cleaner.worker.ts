import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { formatDid } from '@tarn/domain';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { ExpiryService } from '@tarn/core/rules/expiry.service.js';
import type { RuleService } from '@tarn/core/rules/rule.service.js';
import { EventWake } from '@tarn/daemon';
import { OnceLog } from '@tarn/daemon';

export const RULE_CLEANER = 'rule-cleaner';

export interface RuleCleanerSettings {
  intervalMs: number;
  /** Expired rules (and released parents) per pass at most (default 200). */
  batchSize: number;
}

/**
 * Deletes rules whose lifetime is over (their locks go, replicas left unlocked get tombstones, rule.expired);
 * a locked rule, or one on a DID an approved lifetime exception keeps, outlives its lifetime and is logged once,
 * saying why; a moved rule's parent goes once its child is OK (rule.ok events wake it for that). Sweeps every
 * `intervalMs`.
 */
export class RuleCleanerWorker implements DaemonDefinition {
  readonly name = RULE_CLEANER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;
  private readonly reported = new OnceLog();

  constructor(
    private readonly rules: RuleService,
    private readonly expiry: ExpiryService,
    bus: EventBus | null,
    private readonly settings: RuleCleanerSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: RULE_CLEANER, topics: [TOPICS.rule], types: ['rule.ok'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const now = new Date();
    const expired = await this.rules.expiredRuleIds(this.settings.batchSize, now);
    let removed = 0;
    const outcome = await ctx.eachItem(
      expired,
      async (ruleId) => {
        const result = await this.rules.expireRule(ruleId, now);
        if (!result) return;
        removed++;
        ctx.logger.log(`rule ${ruleId} expired: ${result.locksRemoved} lock(s) removed, ${result.transfersCancelled} transfer(s) cancelled`);
      },
      (ruleId) => `expiry of rule ${ruleId}`,
    );
    const released = ctx.stopping ? [] : await this.rules.releaseParentsOfOkChildren(this.settings.batchSize);
    for (const parentId of released) ctx.logger.log(`rule ${parentId} removed: the rule it was moved to is OK`);
    for (const held of await this.expiry.lockedExpiredRules(this.settings.batchSize, now)) {
      if (this.reported.first(held.ruleId)) {
        ctx.logger.warn(
          `rule ${held.ruleId} on ${formatDid(held)} expired at ${held.expiredAt.toISOString()} but is locked, so it stays; ` +
            'unlock it (update the rule with locked=false) to let it go',
        );
      }
    }
    for (const kept of await this.expiry.exceptedExpiredRules(this.settings.batchSize, now)) {
      if (this.reported.first(`${kept.ruleId}@${kept.exceptionId}`)) {
        ctx.logger.log(
          `rule ${kept.ruleId} on ${formatDid(kept)} expired at ${kept.expiredAt.toISOString()} but lifetime exception ${kept.exceptionId} ` +
            `keeps it until ${kept.keptUntil.toISOString()}`,
        );
      }
    }
    const full = expired.length === this.settings.batchSize || released.length === this.settings.batchSize;
    return { didWork: full && removed + released.length > 0, items: removed + released.length, failedItems: outcome.failed };
  }
}
