import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { TransferSubmitterWorkerModule } from './transfer-submitter.module.js';
import { TRANSFER_SUBMITTER, TransferSubmitterWorker } from './transfer-submitter.worker.js';

/** The transfer submitter as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(TRANSFER_SUBMITTER, runStandaloneDaemon({ name: TRANSFER_SUBMITTER, module: TransferSubmitterWorkerModule, worker: TransferSubmitterWorker }));
