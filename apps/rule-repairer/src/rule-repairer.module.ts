import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleRepairService } from '@tarn/core/rules/rule-repair.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { RULE_REPAIRER, RuleRepairerWorker } from './rule-repairer.worker.js';

/** Provides the rule repairer (TARN_RULE_REPAIRER_INTERVAL_SECONDS, default 30), without starting it. */
@Module({
  imports: [RuleDaemonsModule],
  providers: [
    {
      provide: RuleRepairerWorker,
      inject: [RuleRepairService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: RuleRepairService, bus: EventBus | undefined) =>
        new RuleRepairerWorker(
          service,
          bus ?? null,
          { intervalMs: positiveSeconds(process.env, 'TARN_RULE_REPAIRER_INTERVAL_SECONDS', 30), batchSize: 100 },
          consoleLogger(RULE_REPAIRER),
        ),
    },
  ],
  exports: [RuleRepairerWorker],
})
export class RuleRepairerWorkerModule {}

@Injectable()
class RuleRepairerRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(RuleRepairerWorker) private readonly worker: RuleRepairerWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The rule repairer in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [RuleRepairerWorkerModule, DaemonModule], providers: [RuleRepairerRegistration] })
export class RuleRepairerModule {}
