import { InvalidInput } from './errors.js';

/**
 * What people type for durations, dates, lifetimes and DID filters, read the same way by the `tarn` command line and
 * the web UI. Each parser throws InvalidInput naming `what` and what it takes.
 */

const usage = (message: string): InvalidInput => new InvalidInput(message, { rucioClass: 'InputValidationError' });

/** Units of durations, as patterns of their spellings, with their length in seconds. */
export const UNIT_SECONDS: ReadonlyArray<[RegExp, number]> = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(m|mins?|minutes?)$/, 60],
  [/^(h|hrs?|hours?)$/, 3600],
  [/^(d|days?)$/, 86400],
  [/^(w|weeks?)$/, 604800],
  [/^(mo|months?)$/, 30 * 86400],
  [/^(y|years?)$/, 365 * 86400],
];

const DURATION_HINT = "give seconds, or a number with a unit: 30s, 90m, 48h, 2d, 2w, 9 months, '2 days', 1h30m";

/**
 * A duration in seconds: a number of seconds, or numbers with units (s, m, h, d, w, months, years; words too, in
 * one or several parts: `2d`, `48h`, `2 days`, `1h30m`, `1 day 12 hours`).
 */
export function parseDuration(text: string, what: string): number {
  const trimmed = String(text).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return positive(Number(trimmed), text, what);
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*/y;
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const match = part.exec(trimmed);
    const unit = match ? UNIT_SECONDS.find(([pattern]) => pattern.test(match[2])) : undefined;
    if (!match || !unit) throw usage(`${what} '${text}' is not a duration: ${DURATION_HINT}.`);
    total += Number(match[1]) * unit[1];
    at = part.lastIndex;
  }
  if (at === 0) throw usage(`${what} '${text}' is not a duration: ${DURATION_HINT}.`);
  return positive(Math.round(total), text, what);
}

function positive(seconds: number, text: string, what: string): number {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw usage(`${what} '${text}' must be longer than 0 seconds.`);
  return seconds;
}

const DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i;

/** An absolute time: ISO 8601 (`2027-01-31`, `2027-01-31 12:00`, `2027-01-31T12:00:00+01:00`; UTC unless it says otherwise). */
export function parseDate(text: string, what: string): Date {
  const match = DATE.exec(String(text).trim());
  if (!match) throw usage(`${what} '${text}' is not a date: write e.g. 2027-01-31 or 2027-01-31T12:00Z (UTC unless a zone is given).`);
  const zone = !match[3] || /^(z|utc)$/i.test(match[3]) ? 'Z' : match[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = new Date(`${match[1]}T${match[2] ?? '00:00'}${match[2] && match[2].length === 5 ? ':00' : ''}${zone}`);
  if (Number.isNaN(at.getTime()) || (zone === 'Z' && at.toISOString().slice(0, 10) !== match[1])) throw usage(`${what} '${text}' is not a valid date.`);
  return at;
}

/** When something expires: seconds from now, and the time itself when an absolute one was given. */
export interface Expiry {
  seconds: number;
  at: Date | null;
}

/**
 * A lifetime: a duration (`30d`, `48h`, `2 days`) or an absolute expiry time (`2027-01-31`, `2027-01-31T12:00Z`),
 * which must be in the future.
 */
export function parseLifetime(text: string, what: string, now: Date = new Date()): Expiry {
  if (!/^\s*\d{4}-\d{2}-\d{2}/.test(String(text))) return { seconds: parseDuration(text, what), at: null };
  const at = parseDate(text, what);
  const seconds = Math.ceil((at.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) throw usage(`${what} '${text}' (${at.toISOString()}) is not in the future: give a later date, or a duration such as 30d.`);
  return { seconds, at };
}

/** An expiry as a rule (key `expires_at`) or a DID (key `expired_at`) takes it: the time given, or the lifetime in seconds. */
export function expiryBody(expiry: Expiry | undefined, key: 'expires_at' | 'expired_at'): Record<string, unknown> {
  if (!expiry) return {};
  return expiry.at ? { [key]: expiry.at.toISOString() } : { lifetime: expiry.seconds };
}

/** A value of a `key=value` argument: numbers and true/false as such, anything else as text. */
export function scalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  return text;
}

const FILTER_OPERATORS: Array<[string, string]> = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['!=', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', ''],
];

/**
 * `run>=5`, `type=raw`, `name=run*` (comma-separated or repeated: all must hold) -> Rucio's filter dict
 * {"run.gte": 5, "type": "raw", "name": "run*"}.
 */
export function parseDidFilters(expressions: readonly string[]): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const part of expressions.flatMap((e) => e.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const found = FILTER_OPERATORS.map(([op, suffix]) => ({ op, suffix, at: part.indexOf(op) }))
      .filter((o) => o.at > 0)
      .sort((a, b) => a.at - b.at || b.op.length - a.op.length)[0];
    if (!found) throw usage(`Filter '${part}' has no operator: write key=value, key!=value, key>number, key>=number, key<number or key<=number.`);
    const key = part.slice(0, found.at).trim();
    const value = part.slice(found.at + found.op.length).trim();
    filter[found.suffix ? `${key}.${found.suffix}` : key] = scalar(value);
  }
  return filter;
}
