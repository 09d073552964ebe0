import { formatBytes } from '@tarn/domain/format.js';
import { InvalidInput } from '@tarn/domain/errors.js';
import { expiryBody, parseLifetime } from '@tarn/domain/user-input.js';

/** Bytes in SI units, as Rucio's tools and the tarn command line print them; '—' when unknown. */
export function bytes(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : formatBytes(value);
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en');
}

export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const s = Math.round(value);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86_400)} days`;
}

/** A date as the API gives it (ISO 8601 or RFC 1123), in the browser's time zone, to the second. */
export function when(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function ago(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${seconds((Date.now() - date.getTime()) / 1000)} ago`;
}

/**
 * A rule's expiry as the command line reads it ('30d', '2 days', '2027-01-31', seconds), as the rule's body takes it
 * (lifetime in seconds, or expires_at), or the error to show.
 */
export function expiryOf(text: string): { body: Record<string, unknown> } | { error: string } {
  try {
    return { body: expiryBody(parseLifetime(text, 'The lifetime'), 'expires_at') };
  } catch (error) {
    if (error instanceof InvalidInput) return { error: error.message };
    throw error;
  }
}
