import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { TransmogrifierWorkerModule } from './subscriptions.module.js';
import { TRANSMOGRIFIER, TransmogrifierWorker } from './transmogrifier.worker.js';

/** The transmogrifier (subscriptions) as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(TRANSMOGRIFIER, runStandaloneDaemon({ name: TRANSMOGRIFIER, module: TransmogrifierWorkerModule, worker: TransmogrifierWorker }));
