import { positiveSeconds } from '../../rule-evaluator/src/rule-evaluator.config.js';

/** Knobs of the transfer worker, from the environment. */
export interface TransferWorkerSettings {
  /** TARN_TRANSFER_WORKER_INTERVAL_SECONDS: sweep when no transfer.submitted event wakes it (default 5). */
  intervalMs: number;
  /** TARN_TRANSFER_WORKER_CONCURRENCY: files copied at once (default 16). */
  concurrency: number;
  /** TARN_TRANSFER_WORKER_BATCH: transfers leased per pass (default 8 x concurrency). */
  batchSize: number;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive integer`);
  return value;
}

export function loadTransferWorkerSettings(env: NodeJS.ProcessEnv = process.env): TransferWorkerSettings {
  const concurrency = positiveInteger(env, 'TARN_TRANSFER_WORKER_CONCURRENCY', 16);
  return {
    intervalMs: positiveSeconds(env, 'TARN_TRANSFER_WORKER_INTERVAL_SECONDS', 5),
    concurrency,
    batchSize: positiveInteger(env, 'TARN_TRANSFER_WORKER_BATCH', concurrency * 8),
  };
}
