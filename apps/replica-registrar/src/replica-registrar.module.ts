import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { consoleLogger, EVENT_BUS, type EventBus } from '@tarn/events';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { REPLICA_REGISTRAR, ReplicaRegistrarWorker } from './replica-registrar.worker.js';

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive whole number`);
  return value;
}

/**
 * Provides the replica-registrar (TARN_REPLICA_REGISTRAR_INTERVAL_SECONDS, default 30; _BATCH_SIZE, default 1,000;
 * _CONCURRENCY, default 32; _LEASE_SECONDS, default 600), without starting it.
 */
@Module({
  imports: [ReplicasModule],
  providers: [
    {
      provide: ReplicaRegistrarWorker,
      inject: [ReplicaRegistrarService, { token: EVENT_BUS, optional: true }],
      useFactory: (service: ReplicaRegistrarService, bus: EventBus | undefined) =>
        new ReplicaRegistrarWorker(
          service,
          bus ?? null,
          {
            intervalMs: positiveSeconds(process.env, 'TARN_REPLICA_REGISTRAR_INTERVAL_SECONDS', 30),
            batchSize: positiveInteger(process.env, 'TARN_REPLICA_REGISTRAR_BATCH_SIZE', 1000),
            concurrency: positiveInteger(process.env, 'TARN_REPLICA_REGISTRAR_CONCURRENCY', 32),
            leaseSeconds: positiveSeconds(process.env, 'TARN_REPLICA_REGISTRAR_LEASE_SECONDS', 600) / 1000,
          },
          consoleLogger(REPLICA_REGISTRAR),
        ),
    },
  ],
  exports: [ReplicaRegistrarWorker],
})
export class ReplicaRegistrarWorkerModule {}

@Injectable()
class ReplicaRegistrarRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(ReplicaRegistrarWorker) private readonly worker: ReplicaRegistrarWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The replica-registrar in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [ReplicaRegistrarWorkerModule, DaemonModule], providers: [ReplicaRegistrarRegistration] })
export class ReplicaRegistrarModule {}
