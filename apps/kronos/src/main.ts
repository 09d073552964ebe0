import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { KronosWorkerModule } from './kronos.module.js';
import { KRONOS, KronosWorker } from './kronos.worker.js';

/** Kronos as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(KRONOS, runStandaloneDaemon({ name: KRONOS, module: KronosWorkerModule, worker: KronosWorker }));
