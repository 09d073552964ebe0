import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { AuditorWorkerModule } from './auditor.module.js';
import { AUDITOR, AuditorWorker } from './auditor.worker.js';

/**
 * The consistency checker as its own process (scale-out mode) until SIGTERM. `--once` runs one pass;
 * `--rse NAME` audits that RSE at once whatever its schedule (`--once --rse NAME`: one audit on demand, then exit).
 */
exitWith(AUDITOR, runStandaloneDaemon({ name: AUDITOR, module: AuditorWorkerModule, worker: AuditorWorker }));
