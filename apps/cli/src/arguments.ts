import {
  type Expiry,
  expiryBody,
  InvalidInput,
  parseDate as domainParseDate,
  parseDidFilters as domainParseDidFilters,
  parseDuration as domainParseDuration,
  parseLifetime as domainParseLifetime,
  scalar,
  UNIT_SECONDS,
  validateDid,
  validateScope,
} from '@tarn/domain';
import { CliError, ExitCode } from './errors.js';

/**
 * Parsers of command-line values. Each throws a CliError (exit 2) naming the option and what it takes; used as
 * commander argument parsers (`option('--lifetime <duration>', '...', lifetimeOption)`), so that every value of a
 * command is checked before the command does anything.
 */

const usage = (message: string): CliError => new CliError(message, ExitCode.USAGE);

/** The domain's readers of durations, dates, lifetimes and DID filters, their InvalidInput turned into a usage error (exit 2). */
function asUsage<A extends unknown[], T>(parse: (...args: A) => T): (...args: A) => T {
  return (...args: A) => {
    try {
      return parse(...args);
    } catch (error) {
      if (error instanceof InvalidInput) throw usage(error.message);
      throw error;
    }
  };
}

export const parseDuration = asUsage(domainParseDuration);
export const parseDate = asUsage(domainParseDate);
export const parseLifetime = asUsage(domainParseLifetime);
export const parseDidFilters = asUsage(domainParseDidFilters);
/** A scope name as Tarn takes it ('.' and '..' are not: a scope names a directory). */
export const parseScope = asUsage(validateScope);
const checkedDid = asUsage(validateDid);
export { type Expiry, expiryBody, scalar };

/** A number, at least `min` (and at most `max`). */
export function parseNumber(text: string, what: string, min = -Infinity, max = Infinity): number {
  const value = Number(String(text).trim());
  if (String(text).trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? (min === -Infinity ? '' : ` of at least ${min}`) : ` from ${min} to ${max}`;
    throw usage(`${what} must be a number${range}, not '${text}'.`);
  }
  return value;
}

/** A whole number, at least `min` (default 1). */
export function parseInteger(text: string, what: string, min = 1, max = Infinity): number {
  const value = parseNumber(text, what, min, max);
  if (!Number.isInteger(value)) throw usage(`${what} must be a whole number${min === 1 ? ' >= 1' : ` >= ${min}`}, not '${text}'.`);
  return value;
}

export const parsePositiveInt = (text: string, what: string): number => parseInteger(text, what, 1);

export function parseBool(text: string, what: string): boolean {
  if (/^(true|yes|1)$/i.test(String(text))) return true;
  if (/^(false|no|0)$/i.test(String(text))) return false;
  throw usage(`${what} is true or false, not '${text}'.`);
}

/** One of `choices` (case-insensitive); answers it as written in `choices`. */
export function parseChoice<T extends string>(text: string, what: string, choices: readonly T[]): T {
  const found = choices.find((c) => c.toLowerCase() === String(text).toLowerCase());
  if (!found) throw usage(`${what} is one of ${choices.join(', ')}, not '${text}'.`);
  return found;
}

/** A checksum: `length` hex digits (answered in lower case). */
export function parseHex(text: string, what: string, length: number): string {
  if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(String(text))) throw usage(`${what} is ${length} hex digits, not '${text}'.`);
  return String(text).toLowerCase();
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, p: 1e15, pb: 1e15, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, pib: 1024 ** 5 };

/** Bytes: a number, or with a unit (10TB, 1.5GB, 512MiB). */
export function parseSize(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(String(text).trim());
  const factor = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || factor === undefined) throw usage(`${what} '${text}' is not a size: give bytes, or e.g. 500GB, 10TB, 512MiB.`);
  return Math.round(Number(match[1]) * factor);
}

/** scope:name (scope required unless a default is given). */
export function parseDidArg(text: string, defaultScope?: string): { scope: string; name: string } {
  const colon = text.indexOf(':');
  if (colon > 0 && colon < text.length - 1) return checkedDid({ scope: text.slice(0, colon), name: text.slice(colon + 1) });
  if (defaultScope && colon < 0 && text.length > 0) return checkedDid({ scope: defaultScope, name: text });
  throw usage(`'${text}' is not a DID: write scope:name, e.g. user.jdoe:run4711.`);
}

/** key=value pairs (values that look like numbers or booleans become them) -> an object. */
export function parseKeyValues(pairs: readonly string[] | undefined, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`${what} '${pair}' is not key=value, e.g. run_number=4711.`);
    out[pair.slice(0, eq)] = scalar(pair.slice(eq + 1));
  }
  return out;
}

/** A JSON object. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usage(`${what} is not valid JSON (${(error as Error).message}).`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usage(`${what} must be a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** Repeatable option collector for commander. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A commander argument parser from one of the parsers above, naming the option in its errors. */
export function checked<T>(what: string, parse: (text: string, what: string) => T): (value: string) => T {
  return (value: string) => parse(value, what);
}

/** A repeatable option whose every value is checked. */
export function checkedList<T>(what: string, parse: (text: string, what: string) => T): (value: string, previous?: T[]) => T[] {
  return (value: string, previous: T[] = []) => [...previous, parse(value, what)];
}

/**
 * Words left over after a number-taking option (`--lifetime 2 days` gives the option `2` and the word `days`):
 * an error that says to quote them, before anything is done.
 */
export function assertNoStrayUnit(words: readonly string[], options: Record<string, unknown>, flags: readonly string[]): void {
  const stray = words.find((w) => UNIT_SECONDS.some(([pattern]) => pattern.test(w.toLowerCase())));
  if (stray === undefined) return;
  const flag = flags.find((f) => options[f] !== undefined) ?? flags[0];
  throw usage(`'${stray}' looks like the unit of a duration: quote the whole value, e.g. --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} '2 ${stray}' (or write 2d).`);
}
