import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { TransferFinisherWorkerModule } from './transfer-finisher.module.js';
import { TRANSFER_FINISHER, TransferFinisherWorker } from './transfer-finisher.worker.js';

/** The transfer finisher as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(TRANSFER_FINISHER, runStandaloneDaemon({ name: TRANSFER_FINISHER, module: TransferFinisherWorkerModule, worker: TransferFinisherWorker }));
