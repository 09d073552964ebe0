import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { ExpiryService } from '@tarn/core/rules/expiry.service.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { RULE_CLEANER, RuleCleanerWorker } from './rule-cleaner.worker.js';

/** Provides the rule cleaner (TARN_RULE_CLEANER_INTERVAL_SECONDS, default 60), without starting it. */
@Module({
  imports: [RuleDaemonsModule],
  providers: [
    {
      provide: RuleCleanerWorker,
      inject: [RuleService, ExpiryService, { token: EVENT_BUS, optional: true }],
      useFactory: (rules: RuleService, expiry: ExpiryService, bus: EventBus | undefined) =>
        new RuleCleanerWorker(
          rules,
          expiry,
          bus ?? null,
          { intervalMs: positiveSeconds(process.env, 'TARN_RULE_CLEANER_INTERVAL_SECONDS', 60), batchSize: 200 },
          consoleLogger(RULE_CLEANER),
        ),
    },
  ],
  exports: [RuleCleanerWorker],
})
export class RuleCleanerWorkerModule {}

@Injectable()
class RuleCleanerRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(RuleCleanerWorker) private readonly worker: RuleCleanerWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The rule cleaner in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [RuleCleanerWorkerModule, DaemonModule], providers: [RuleCleanerRegistration] })
export class RuleCleanerModule {}
