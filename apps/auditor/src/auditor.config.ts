import { DEFAULT_AUDIT_SETTINGS, type AuditSettings } from '@tarn/core/consistency/consistency.service.js';
import { DEFAULT_STORAGE_USAGE_SETTINGS, type StorageUsageSettings } from '@tarn/core/accounting/storage-usage.service.js';

export interface AuditorWorkerSettings {
  /** TARN_AUDITOR_INTERVAL_SECONDS: sleep when no RSE is due (default 300). */
  intervalMs: number;
  /** TARN_AUDITOR_RSES (comma-separated): audit only these RSEs (default all). */
  rses: string[] | null;
  /** `--rse NAME` (repeatable): audit these RSEs at once on start, whatever their schedule (on demand); implies TARN_AUDITOR_RSES. */
  onDemand: string[];
  /** TARN_AUDITOR_RSES_PER_PASS: RSEs audited per pass (default 1; the next pass follows at once while RSEs are due). */
  rsesPerPass: number;
  audit: AuditSettings;
  /** TARN_STORAGE_USAGE_INTERVAL_SECONDS: refresh of rse_usage 'storage' (default 600; 0: never). */
  usage: StorageUsageSettings & { enabled: boolean };
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, opts: { integer?: boolean; zero?: boolean; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!opts.zero && value === 0) || (opts.integer && !Number.isInteger(value)) || (opts.max !== undefined && value > opts.max)) {
    throw new Error(`${name}=${raw} must be a ${opts.zero ? 'non-negative' : 'positive'} ${opts.integer ? 'integer' : 'number'}${opts.max !== undefined ? ` up to ${opts.max}` : ''}`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new Error(`${name}=${raw} must be true or false`);
}

/** The values of every `--rse NAME` / `--rse=NAME` in `argv`. */
export function rseArguments(argv: readonly string[]): string[] {
  const rses: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--rse' && argv[i + 1]) rses.push(argv[i + 1]);
    else if (arg.startsWith('--rse=')) rses.push(arg.slice('--rse='.length));
  });
  return rses.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
}

/** The auditor's knobs from the environment (TARN_AUDITOR_*; the configs table, section `auditor`, overrides the audit ones). */
export function loadAuditorSettings(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): AuditorWorkerSettings {
  const onDemand = rseArguments(argv);
  const listed = (env.TARN_AUDITOR_RSES ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  const rses = listed.length > 0 || onDemand.length > 0 ? [...new Set([...listed, ...onDemand])] : null;
  const usageSeconds = number(env, 'TARN_STORAGE_USAGE_INTERVAL_SECONDS', DEFAULT_STORAGE_USAGE_SETTINGS.maxAgeSeconds, { zero: true });
  const d = DEFAULT_AUDIT_SETTINGS;
  return {
    intervalMs: Math.round(number(env, 'TARN_AUDITOR_INTERVAL_SECONDS', 300) * 1000),
    rses,
    onDemand,
    rsesPerPass: number(env, 'TARN_AUDITOR_RSES_PER_PASS', 1, { integer: true }),
    audit: {
      graceSeconds: number(env, 'TARN_AUDITOR_GRACE_SECONDS', d.graceSeconds, { zero: true }),
      quarantineSeconds: number(env, 'TARN_AUDITOR_QUARANTINE_SECONDS', d.quarantineSeconds, { zero: true }),
      rseIntervalHours: number(env, 'TARN_AUDITOR_RSE_INTERVAL_HOURS', d.rseIntervalHours, { zero: true }),
      listBatch: number(env, 'TARN_AUDITOR_LIST_BATCH', d.listBatch, { integer: true }),
      concurrency: number(env, 'TARN_AUDITOR_CONCURRENCY', d.concurrency, { integer: true }),
      maxMissingFraction: number(env, 'TARN_AUDITOR_MAX_MISSING_FRACTION', d.maxMissingFraction, { zero: true, max: 1 }),
      deleteDark: flag(env, 'TARN_AUDITOR_DELETE_DARK', d.deleteDark),
    },
    usage: { enabled: usageSeconds > 0, maxAgeSeconds: usageSeconds, concurrency: DEFAULT_STORAGE_USAGE_SETTINGS.concurrency },
  };
}
