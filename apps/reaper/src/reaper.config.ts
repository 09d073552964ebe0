import { DEFAULT_REAPER_SETTINGS, type ReaperSettings } from '@tarn/core/reaper/reaper.service.js';

export interface ReaperWorkerSettings extends ReaperSettings {
  /** TARN_REAPER_INTERVAL_SECONDS: sweep when nothing wakes it (default 60). */
  intervalMs: number;
  /** TARN_REAPER_RSE_CONCURRENCY: RSEs reaped at once by one instance (default 4). */
  rseConcurrency: number;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean, allowZero = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${raw} must be a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

/** The reaper's knobs from the environment (TARN_REAPER_*). */
export function loadReaperSettings(env: NodeJS.ProcessEnv = process.env): ReaperWorkerSettings {
  return {
    intervalMs: Math.round(positive(env, 'TARN_REAPER_INTERVAL_SECONDS', 60, false) * 1000),
    rseConcurrency: positive(env, 'TARN_REAPER_RSE_CONCURRENCY', 4, true),
    batchSize: positive(env, 'TARN_REAPER_BATCH', DEFAULT_REAPER_SETTINGS.batchSize, true),
    concurrency: positive(env, 'TARN_REAPER_CONCURRENCY', DEFAULT_REAPER_SETTINGS.concurrency, true),
    graceSeconds: positive(env, 'TARN_REAPER_GRACE_SECONDS', DEFAULT_REAPER_SETTINGS.graceSeconds, false, true),
    maxBatchesPerRse: positive(env, 'TARN_REAPER_BATCHES_PER_RSE', DEFAULT_REAPER_SETTINGS.maxBatchesPerRse, true),
  };
}
