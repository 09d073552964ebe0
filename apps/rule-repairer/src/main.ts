import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { RuleRepairerWorkerModule } from './rule-repairer.module.js';
import { RULE_REPAIRER, RuleRepairerWorker } from './rule-repairer.worker.js';

/** The rule repairer as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(RULE_REPAIRER, runStandaloneDaemon({ name: RULE_REPAIRER, module: RuleRepairerWorkerModule, worker: RuleRepairerWorker }));
