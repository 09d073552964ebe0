import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { RuleInjectorWorkerModule } from './rule-injector.module.js';
import { RULE_INJECTOR, RuleInjectorWorker } from './rule-injector.worker.js';

/** The rule injector as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(RULE_INJECTOR, runStandaloneDaemon({ name: RULE_INJECTOR, module: RuleInjectorWorkerModule, worker: RuleInjectorWorker }));
