import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { IngesterWorkerModule } from './ingester.module.js';
import { INGESTER, IngesterWorker } from './ingester.worker.js';

/** The ingester as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(INGESTER, runStandaloneDaemon({ name: INGESTER, module: IngesterWorkerModule, worker: IngesterWorker }));
