import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { EventWake } from '@tarn/daemon';

export const RULE_INJECTOR = 'rule-injector';

export interface RuleInjectorSettings {
  intervalMs: number;
  /** INJECT rules looked at per pass (default 100). */
  batchSize: number;
  /** Files per chunk; default: configs rules/inject_chunk (10,000). */
  chunk?: number;
  /** A pass stops starting chunks after this long (default 5 s). */
  passBudgetMs: number;
}

/**
 * Evaluates deferred (INJECT) rules — large or asynchronous ones — in chunks of files, one transaction per
 * chunk, round-robin between rules: a rule of a million files advances one chunk per pass while the small
 * rules queued behind it are done in the same pass. rule.created events of INJECT rules wake it; otherwise it
 * sweeps every `intervalMs`. Instances share the rules (a rule in hand is skipped by the others).
 */
export class RuleInjectorWorker implements DaemonDefinition {
  readonly name = RULE_INJECTOR;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: RuleReevaluationService,
    bus: EventBus | null,
    private readonly settings: RuleInjectorSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(
      bus,
      { group: RULE_INJECTOR, topics: [TOPICS.rule], types: ['rule.created'], filter: (e) => e.type === 'rule.created' && e.payload.state === 'INJECT' },
      logger,
    );
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const deadline = Date.now() + this.settings.passBudgetMs;
    const ids = await this.service.injectRuleIds(this.settings.batchSize);
    let progressed = false;
    let items = 0;
    const outcome = await ctx.eachItem(
      ids,
      async (ruleId) => {
        if (Date.now() > deadline) return;
        const chunk = await this.service.injectChunk(ruleId, this.settings.chunk);
        if (!chunk) return;
        progressed = true;
        items += chunk.files;
        if (chunk.done) ctx.logger.log(`rule ${ruleId} injected: ${chunk.state}${chunk.error ? ` (${chunk.error})` : ''}`);
      },
      (ruleId) => `injection of rule ${ruleId}`,
    );
    return { didWork: progressed, items, failedItems: outcome.failed };
  }
}
