import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { UndertakerWorkerModule } from './undertaker.module.js';
import { UNDERTAKER, UndertakerWorker } from './undertaker.worker.js';

/** The undertaker as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(UNDERTAKER, runStandaloneDaemon({ name: UNDERTAKER, module: UndertakerWorkerModule, worker: UndertakerWorker }));
