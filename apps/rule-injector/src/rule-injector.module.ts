import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { RULE_INJECTOR, RuleInjectorWorker } from './rule-injector.worker.js';

/** Provides the rule injector (TARN_RULE_INJECTOR_INTERVAL_SECONDS, default 10), without starting it. */
@Module({
  imports: [RuleDaemonsModule],
  providers: [
    {
      provide: RuleInjectorWorker,
      inject: [RuleReevaluationService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: RuleReevaluationService, bus: EventBus | undefined) =>
        new RuleInjectorWorker(
          service,
          bus ?? null,
          { intervalMs: positiveSeconds(process.env, 'TARN_RULE_INJECTOR_INTERVAL_SECONDS', 10), batchSize: 100, passBudgetMs: 5_000 },
          consoleLogger(RULE_INJECTOR),
        ),
    },
  ],
  exports: [RuleInjectorWorker],
})
export class RuleInjectorWorkerModule {}

@Injectable()
class RuleInjectorRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(RuleInjectorWorker) private readonly worker: RuleInjectorWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The rule injector in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [RuleInjectorWorkerModule, DaemonModule], providers: [RuleInjectorRegistration] })
export class RuleInjectorModule {}
