import { InvalidInput } from '@tarn/domain';
import { parseDidFilters } from '../dids/did-filter.js';

/**
 * A subscription's filter, as Rucio writes it: `scope` (list), `pattern` (regex on the name), `did_type`,
 * `account` (list), and metadata keys whose value is a list (any of) or a single value. Everything but scope and
 * pattern becomes one group of the DID metadata filter (libs/core/src/dids/did-filter.ts).
 */
export interface SubscriptionFilter {
  scopes: string[] | null;
  pattern: RegExp | null;
  /** Rucio DID filter groups (one group), with `type`. */
  didFilter: Record<string, unknown>;
}

const TYPES: Record<string, string> = { DATASET: 'dataset', CONTAINER: 'container', FILE: 'file', D: 'dataset', C: 'container', F: 'file' };
// Rucio keys that do not select DIDs.
const IGNORED = new Set(['split_rule', 'exclude', 'transient']);

function invalid(message: string): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InputValidationError' });
}

export function parseSubscriptionFilter(raw: unknown, owner: string): SubscriptionFilter {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(`The filter of ${owner} is an object, e.g. {"scope": ["data26"], "datatype": ["RAW"], "did_type": "DATASET"}.`);
  }
  const filter = raw as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  const scopes = filter.scope === undefined || filter.scope === null ? null : list(filter.scope).map(String);
  let pattern: RegExp | null = null;
  if (typeof filter.pattern === 'string' && filter.pattern !== '') {
    try {
      pattern = new RegExp(filter.pattern);
    } catch (error) {
      throw invalid(`The pattern of ${owner} is not a valid regular expression: ${(error as Error).message}.`);
    }
  }
  const didFilter: Record<string, unknown> = {};
  const types = filter.did_type === undefined || filter.did_type === null ? ['DATASET'] : list(filter.did_type).map((t) => String(t).toUpperCase());
  const unknownType = types.find((t) => !TYPES[t]);
  if (unknownType) throw invalid(`The did_type '${unknownType}' of ${owner} is not FILE, DATASET or CONTAINER.`);
  didFilter.type = types.length === 1 ? TYPES[types[0]] : types.length === 3 ? 'all' : types.every((t) => TYPES[t] !== 'file') ? 'collection' : 'all';
  for (const [key, value] of Object.entries(filter)) {
    if (['scope', 'pattern', 'did_type'].includes(key) || IGNORED.has(key)) continue;
    if (value === null || value === undefined) continue;
    didFilter[key] = Array.isArray(value) ? (value.length === 1 ? value[0] : value) : value;
  }
  parseDidFilters([didFilter]);
  return { scopes, pattern, didFilter };
}
