import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { formatDid } from '@tarn/domain';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { DidKey } from '@tarn/catalogue/repositories/did.repository.js';
import type { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { EventWake } from '@tarn/daemon';
import type { RuleEvaluatorSettings } from './rule-evaluator.config.js';

export const RULE_EVALUATOR = 'rule-evaluator';

/**
 * Keeps rules true as content changes: drains the updated-DID queue (attach/detach), one DID per transaction —
 * locks, replicas and transfers for content added under DIDs with rules, removal for detached content, rule
 * counters, states and events. did.attached / did.detached events wake it at once; otherwise it sweeps the
 * queue every `intervalMs`. Several instances share the queue (SKIP LOCKED).
 */
export class RuleEvaluatorWorker implements DaemonDefinition {
  readonly name = RULE_EVALUATOR;
  readonly intervalMs: number;
  readonly backoffInitialMs = 500;
  readonly backoffMaxMs = 10_000;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: RuleReevaluationService,
    bus: EventBus | null,
    private readonly settings: RuleEvaluatorSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: RULE_EVALUATOR, topics: [TOPICS.did], types: ['did.attached', 'did.detached'] }, logger);
  }

  /** Evaluates queued DIDs, oldest first, until the queue is empty or the pass's time budget is spent. */
  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const deadline = Date.now() + this.settings.passBudgetMs;
    const failedDids: DidKey[] = [];
    let items = 0;
    while (!ctx.stopping && Date.now() < deadline) {
      const outcome = await this.service.evaluateNextDid({ exclude: failedDids, claimLimit: this.settings.claimLimit });
      if (!outcome) break;
      if (!outcome.ok) {
        // Its queue rows stay for the next pass; the others go on.
        failedDids.push(outcome.did);
        ctx.logger.error(`re-evaluation of ${formatDid(outcome.did)} failed, retried next pass: ${outcome.error.message}`);
        continue;
      }
      items++;
      for (const stuck of outcome.evaluation.stuck) {
        ctx.logger.warn(`rule ${stuck.ruleId} is STUCK: new content of ${formatDid(outcome.evaluation.did)} could not be placed: ${stuck.error}`);
      }
    }
    return { didWork: items > 0, items, failedItems: failedDids.length };
  }
}
