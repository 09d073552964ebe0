import { InvalidInput } from './errors.js';

// Largest instant a JavaScript Date can hold.
const MAX_TIME_MS = 8.64e15;

export interface ExpiryInput {
  /** Seconds from now; null/undefined for no lifetime. */
  lifetime?: number | null;
  /** Absolute expiry (Date, ISO 8601 or RFC 1123 string); null/undefined for none. */
  expiresAt?: Date | string | null;
}

function invalid(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InvalidValueForKey', details });
}

/** now + lifetime seconds; null when no lifetime is given (never expires). */
export function expiryFromLifetime(lifetime: number | null | undefined, now: Date, subject = 'the lifetime'): Date | null {
  if (lifetime === null || lifetime === undefined) return null;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0) {
    throw invalid(
      `Invalid ${subject} ${JSON.stringify(lifetime)}: a lifetime is a number of seconds greater than 0. ` +
        'Give e.g. 86400 for one day, or leave it out for no expiry.',
      { lifetime },
    );
  }
  const at = now.getTime() + lifetime * 1000;
  if (at > MAX_TIME_MS) {
    throw invalid(`Invalid ${subject} ${lifetime}: it ends after the year 275760. Give a shorter lifetime or none.`, { lifetime });
  }
  return new Date(at);
}

/** An absolute expiry, which must be a valid time after `now`. */
export function expiryFromDate(expiresAt: Date | string, now: Date, subject = 'the expiry time'): Date {
  const at = expiresAt instanceof Date ? new Date(expiresAt.getTime()) : new Date(String(expiresAt));
  if (Number.isNaN(at.getTime())) {
    throw invalid(
      `Invalid ${subject} ${JSON.stringify(String(expiresAt))}: not a date. Use ISO 8601 (2030-01-31T12:00:00Z) or RFC 1123.`,
      { expiresAt: String(expiresAt) },
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw invalid(
      `Invalid ${subject} ${at.toISOString()}: it is not in the future (now is ${now.toISOString()}). ` +
        'Give a later time, or a lifetime in seconds.',
      { expiresAt: at.toISOString(), now: now.toISOString() },
    );
  }
  return at;
}

/** Expiry of a rule or DID from either a lifetime or an absolute time (not both); null for none. */
export function resolveExpiry(input: ExpiryInput, now: Date, subject?: string): Date | null {
  const hasLifetime = input.lifetime !== null && input.lifetime !== undefined;
  const hasDate = input.expiresAt !== null && input.expiresAt !== undefined;
  if (hasLifetime && hasDate) {
    throw invalid(
      `Both a lifetime (${input.lifetime} s) and an expiry time (${String(input.expiresAt)}) were given${subject ? ` for ${subject}` : ''}. Give only one.`,
      { lifetime: input.lifetime, expiresAt: String(input.expiresAt) },
    );
  }
  if (hasDate) return expiryFromDate(input.expiresAt as Date | string, now, subject);
  return expiryFromLifetime(input.lifetime, now, subject);
}

export function isExpired(expiresAt: Date | null | undefined, now: Date): boolean {
  return expiresAt !== null && expiresAt !== undefined && expiresAt.getTime() <= now.getTime();
}

/** Whole seconds left (0 once expired), or null when it never expires. */
export function remainingLifetime(expiresAt: Date | null | undefined, now: Date): number | null {
  if (expiresAt === null || expiresAt === undefined) return null;
  return Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
}
