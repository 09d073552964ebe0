import { EntityManager } from 'typeorm';
import { transferRequestRepository, type ThrottleLimit } from '@tarn/catalogue/repositories/transfer-request.repository.js';

/** Operator knobs of the transfer daemons, from the configs table (section `transfers`), read every pass. */
export interface TransferSettings {
  /** Attempts of a transfer before its lock is STUCK (max_attempts, default 3). */
  maxAttempts: number;
  /** Backoff before attempt n+1: min(max, base * 2^n) seconds (backoff_base_seconds 30, backoff_max_seconds 1800). */
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  /** A worker's hold on a transfer; renewed while it copies, taken over by another worker once expired (lease_seconds, 120). */
  leaseSeconds: number;
  /** Files smaller than this are streamed even where a third-party copy is possible (tpc_min_bytes, default 0). */
  thirdPartyMinBytes: number;
}

export const DEFAULT_TRANSFER_SETTINGS: TransferSettings = {
  maxAttempts: 3,
  backoffBaseSeconds: 30,
  backoffMaxSeconds: 1800,
  leaseSeconds: 120,
  thirdPartyMinBytes: 0,
};

const KEYS: Record<keyof TransferSettings, string> = {
  maxAttempts: 'max_attempts',
  backoffBaseSeconds: 'backoff_base_seconds',
  backoffMaxSeconds: 'backoff_max_seconds',
  leaseSeconds: 'lease_seconds',
  thirdPartyMinBytes: 'tpc_min_bytes',
};

export async function readTransferSettings(manager: EntityManager): Promise<TransferSettings> {
  const section = await transferRequestRepository.configSection(manager, 'transfers');
  const settings = { ...DEFAULT_TRANSFER_SETTINGS };
  for (const key of Object.keys(KEYS) as Array<keyof TransferSettings>) {
    const value = Number(section.get(KEYS[key]));
    if (section.has(KEYS[key]) && Number.isFinite(value) && value >= 0) settings[key] = value;
  }
  settings.maxAttempts = Math.max(1, Math.floor(settings.maxAttempts));
  settings.leaseSeconds = Math.max(1, settings.leaseSeconds);
  return settings;
}

/** The throttler's limits (section `throttler`): `default`, `<RSE>` and `<RSE>/<activity>` -> max SUBMITTED transfers. */
export interface ThrottleSettings {
  defaultMaxActive: number;
  limits: ThrottleLimit[];
}

export const DEFAULT_MAX_ACTIVE = 500;

/** Parses the throttler section; values that are not non-negative integers are ignored. */
export function parseThrottleSettings(section: ReadonlyMap<string, string>): ThrottleSettings {
  let defaultMaxActive = DEFAULT_MAX_ACTIVE;
  const limits: ThrottleLimit[] = [];
  for (const [opt, raw] of section) {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) continue;
    if (opt === 'default') {
      defaultMaxActive = value;
      continue;
    }
    const slash = opt.indexOf('/');
    limits.push(slash < 0 ? { rse: opt, activity: null, maxActive: value } : { rse: opt.slice(0, slash), activity: opt.slice(slash + 1), maxActive: value });
  }
  return { defaultMaxActive, limits };
}

export async function readThrottleSettings(manager: EntityManager): Promise<ThrottleSettings> {
  return parseThrottleSettings(await transferRequestRepository.configSection(manager, 'throttler'));
}
