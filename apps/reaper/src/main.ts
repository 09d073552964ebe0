import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { ReaperWorkerModule } from './reaper.module.js';
import { REAPER, ReaperWorker } from './reaper.worker.js';

/** The reaper as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(REAPER, runStandaloneDaemon({ name: REAPER, module: ReaperWorkerModule, worker: ReaperWorker }));
