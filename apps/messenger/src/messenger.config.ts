/** Knobs of the messenger, from the environment (defaults suit both embedded and scale-out mode). */
export interface MessengerSettings {
  /** TARN_OUTBOX_BATCH: rows claimed and published per Kafka request (default 1000). */
  batchSize: number;
  /** TARN_OUTBOX_RETENTION_HOURS: published rows are kept this long, then pruned (default 168 = 7 days). */
  retentionSeconds: number;
  /** How often the prune runs (default 60 s), and rows deleted per statement. */
  pruneIntervalMs: number;
  pruneBatch: number;
  /** Safety poll when no NOTIFY arrives (default 5 s); a commit wakes the messenger at once. */
  idleIntervalMs: number;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return value;
}

export function loadMessengerSettings(env: NodeJS.ProcessEnv = process.env): MessengerSettings {
  return {
    batchSize: Math.floor(positive(env, 'TARN_OUTBOX_BATCH', 1000)),
    retentionSeconds: Math.round(positive(env, 'TARN_OUTBOX_RETENTION_HOURS', 168) * 3600),
    pruneIntervalMs: 60_000,
    pruneBatch: 10_000,
    idleIntervalMs: 5_000,
  };
}
