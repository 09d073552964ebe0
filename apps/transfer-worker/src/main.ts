import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { TransferWorkerWorkerModule } from './transfer-worker.module.js';
import { TRANSFER_WORKER, TransferWorkerWorker } from './transfer-worker.worker.js';

/** The built-in transfer tool's worker as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(TRANSFER_WORKER, runStandaloneDaemon({ name: TRANSFER_WORKER, module: TransferWorkerWorkerModule, worker: TransferWorkerWorker }));
