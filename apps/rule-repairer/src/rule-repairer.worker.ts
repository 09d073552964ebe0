import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { RuleRepairService } from '@tarn/core/rules/rule-repair.service.js';
import { EventWake } from '@tarn/daemon';

export const RULE_REPAIRER = 'rule-repairer';

export interface RuleRepairerSettings {
  intervalMs: number;
  /** STUCK rules repaired per pass at most (default 100). */
  batchSize: number;
}

/**
 * Repairs STUCK rules whose backoff is over (RuleRepairService: retry, move to another RSE after repeated
 * failures on one, SUSPENDED after too many attempts). rule.stuck events wake it; otherwise it sweeps every
 * `intervalMs`. Instances share the rules (a rule in hand is skipped by the others).
 */
export class RuleRepairerWorker implements DaemonDefinition {
  readonly name = RULE_REPAIRER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: RuleRepairService,
    bus: EventBus | null,
    private readonly settings: RuleRepairerSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: RULE_REPAIRER, topics: [TOPICS.rule], types: ['rule.stuck'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const ids = await this.service.dueRuleIds(this.settings.batchSize);
    let repaired = 0;
    const outcome = await ctx.eachItem(
      ids,
      async (ruleId) => {
        const result = await this.service.repairRule(ruleId);
        if (!result) return;
        repaired++;
        if (result.suspended) {
          ctx.logger.warn(`rule ${ruleId} SUSPENDED: ${result.error}`);
          return;
        }
        const moves = result.moved.map((m) => `${m.scope}:${m.name} -> ${m.toRse}`);
        ctx.logger.log(
          `rule ${ruleId} repair attempt ${result.attempt}: ${result.retried} lock(s) retried, ${result.moved.length} moved` +
            `${moves.length ? ` (${moves.slice(0, 5).join(', ')}${moves.length > 5 ? ', ...' : ''})` : ''}, ${result.placed} file(s) placed; now ${result.state}`,
        );
      },
      (ruleId) => `repair of rule ${ruleId}`,
    );
    // Rules still due (more than a batch) are taken at once; the others wait for their backoff.
    return { didWork: repaired > 0 && ids.length === this.settings.batchSize, items: repaired, failedItems: outcome.failed };
  }
}
