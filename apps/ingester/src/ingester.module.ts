import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DaemonMetrics, DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { HookMetrics } from '@tarn/core/ingest/hook.metrics.js';
import { HookRunner } from '@tarn/core/ingest/hook-runner.js';
import { IngestModule } from '@tarn/core/ingest/ingest.module.js';
import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';
import { IngesterWorker, type IngesterSettings } from './ingester.worker.js';

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive whole number`);
  return value;
}

export function loadIngesterSettings(env: NodeJS.ProcessEnv = process.env): IngesterSettings {
  return {
    intervalMs: positiveSeconds(env, 'TARN_INGESTER_INTERVAL_SECONDS', 10),
    batchSize: positiveInteger(env, 'TARN_INGESTER_BATCH', 1000),
    concurrency: positiveInteger(env, 'TARN_INGESTER_CONCURRENCY', 4),
  };
}

/** Provides the ingester, without starting it. */
@Module({
  imports: [IngestModule],
  providers: [
    {
      provide: IngesterWorker,
      inject: [HookRunner],
      useFactory: (runner: HookRunner) => new IngesterWorker(runner, loadIngesterSettings(), new HookMetrics(DaemonMetrics.forProcess().registry)),
    },
  ],
  exports: [IngesterWorker],
})
export class IngesterWorkerModule {}

@Injectable()
class IngesterRegistration implements OnModuleInit {
  constructor(
    @Inject(DaemonRegistry) private readonly registry: DaemonRegistry,
    @Inject(IngesterWorker) private readonly worker: IngesterWorker,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.worker);
  }
}

/** The ingester in a Nest application (embedded mode), registered with the DaemonRegistry. */
@Module({ imports: [IngesterWorkerModule, DaemonModule], providers: [IngesterRegistration] })
export class IngesterModule {}
