import 'reflect-metadata';
import { exitWith, runStandaloneDaemon } from '@tarn/daemon';
import { ReplicaRegistrarWorkerModule } from './replica-registrar.module.js';
import { REPLICA_REGISTRAR, ReplicaRegistrarWorker } from './replica-registrar.worker.js';

/** The replica-registrar as its own process (scale-out mode) until SIGTERM; `--once` runs one pass. */
exitWith(REPLICA_REGISTRAR, runStandaloneDaemon({ name: REPLICA_REGISTRAR, module: ReplicaRegistrarWorkerModule, worker: ReplicaRegistrarWorker }));
