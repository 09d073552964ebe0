import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { RuleCleanerWorkerModule } from './rule-cleaner.module.js';
import { RULE_CLEANER, RuleCleanerWorker } from './rule-cleaner.worker.js';

/** The rule cleaner as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(RULE_CLEANER, runStandaloneDaemon({ name: RULE_CLEANER, module: RuleCleanerWorkerModule, worker: RuleCleanerWorker }));
