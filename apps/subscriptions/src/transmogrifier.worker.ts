import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { SubscriptionProcessor } from '@tarn/core/subscriptions/subscription-processor.js';

export const TRANSMOGRIFIER = 'transmogrifier';

/**
 * Gives new DIDs the rules of the subscriptions they match (Rucio's transmogrifier). did.created and files.created events wake it; it
 * also sweeps every `intervalMs` (TARN_TRANSMOGRIFIER_INTERVAL_SECONDS, default 60), so a lost event only delays.
 */
export class TransmogrifierWorker implements DaemonDefinition {
  readonly name = TRANSMOGRIFIER;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly processor: SubscriptionProcessor,
    bus: EventBus | null,
    settings: { intervalMs: number },
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: TRANSMOGRIFIER, topics: [TOPICS.did], types: ['did.created', 'files.created'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const result = await this.processor.runPass();
    for (const error of result.errors.slice(0, 10)) ctx.logger.error(`subscription ${error.subscription}${error.did ? `, ${error.did}` : ''}: ${error.error}`);
    if (result.rulesCreated > 0) ctx.logger.log(`${result.didsMatched} new DID(s) matched subscriptions: ${result.rulesCreated} rule(s) created`);
    return { didWork: false, items: result.didsMatched, failedItems: result.errors.length };
  }
}
