import 'reflect-metadata';
import { RuleEvaluatorWorkerModule } from './rule-evaluator.module.js';
import { RULE_EVALUATOR, RuleEvaluatorWorker } from './rule-evaluator.worker.js';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';

/** The rule evaluator as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(RULE_EVALUATOR, runStandaloneDaemon({ name: RULE_EVALUATOR, module: RuleEvaluatorWorkerModule, worker: RuleEvaluatorWorker }));
