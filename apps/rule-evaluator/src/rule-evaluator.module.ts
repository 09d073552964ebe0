import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { CatalogueMetrics, readCatalogueSnapshot } from '@tarn/core/overview/catalogue.metrics.js';
import { consoleLogger, EVENT_BUS, type EventBus, kafkaLagReader, loadEventsSettings } from '@tarn/events';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { DAEMONS } from '../../tarn/src/daemon-list.js';
import { loadRuleEvaluatorSettings } from './rule-evaluator.config.js';
import { RULE_EVALUATOR, RuleEvaluatorWorker } from './rule-evaluator.worker.js';

/**
 * Provides the rule evaluator (woken through EVENT_BUS when there is one), without starting it, and the catalogue's
 * gauges on its process's /metrics (one process of the deployment reads them: the rule-evaluator's).
 */
@Module({
  imports: [RuleDaemonsModule],
  providers: [
    {
      provide: RuleEvaluatorWorker,
      inject: [RuleReevaluationService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: RuleReevaluationService, bus: EventBus | undefined) =>
        new RuleEvaluatorWorker(service, bus ?? null, loadRuleEvaluatorSettings(), consoleLogger(RULE_EVALUATOR)),
    },
    {
      provide: CatalogueMetrics,
      inject: [DataSource, TARN_CONFIG],
      useFactory: (dataSource: DataSource, config: TarnConfig) => {
        const kafka = config.eventBus === 'kafka';
        const kafkaLag = kafka ? kafkaLagReader(config.kafkaBrokers, loadEventsSettings().topicPrefix, DAEMONS.map((d) => d.name)) : undefined;
        return new CatalogueMetrics(DaemonMetrics.forProcess().registry, readCatalogueSnapshot(dataSource.manager, kafka, kafkaLag));
      },
    },
  ],
  exports: [RuleEvaluatorWorker],
})
export class RuleEvaluatorWorkerModule {}

@Injectable()
class RuleEvaluatorRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(RuleEvaluatorWorker) private readonly worker: RuleEvaluatorWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/**
 * The rule evaluator in a Nest application (embedded mode): registered with the DaemonRegistry, whose loop
 * starts at bootstrap. Needs DataSource and TARN_CONFIG; EventsModule (EVENT_BUS) for waking on events.
 */
@Module({ imports: [RuleEvaluatorWorkerModule, DaemonModule], providers: [RuleEvaluatorRegistration] })
export class RuleEvaluatorModule {}
