import { DidType, InvalidInput, normalizeGuid } from '@tarn/domain';
import {
  DID_FILTER_COLUMNS,
  type DidFilterColumn,
  type DidFilterGroup,
  type DidFilterOperator,
  type DidFilterScalar,
  type DidFilterTerm,
} from '@tarn/catalogue/repositories/did-meta.repository.js';

/**
 * Rucio's DID filters, as the stock client and CLI send them: a list of dicts whose keys are AND-ed and which are
 * OR-ed together, keys suffixed with an operator (`run.gte`), or the CLI's string form (`run>=5,type=data;x=1`).
 */
export type DidFilterInput = string | Record<string, unknown> | Record<string, unknown>[] | null | undefined;

const TYPE_SELECTORS: Record<string, DidType[]> = {
  all: [DidType.CONTAINER, DidType.DATASET, DidType.FILE],
  collection: [DidType.CONTAINER, DidType.DATASET],
  container: [DidType.CONTAINER],
  dataset: [DidType.DATASET],
  file: [DidType.FILE],
  c: [DidType.CONTAINER],
  d: [DidType.DATASET],
  f: [DidType.FILE],
};

const SUFFIX_OPERATORS: Record<string, DidFilterOperator> = { '': 'eq', ne: 'ne', lt: 'lt', lte: 'lte', gt: 'gt', gte: 'gte', in: 'in' };

function invalid(message: string, details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InputValidationError', details });
}

/** The DID types a Rucio type selector ('all', 'collection', 'container', 'dataset', 'file') stands for. */
export function didTypesOf(selector: string | null | undefined, fallback = 'collection'): DidType[] {
  const key = String(selector ?? fallback).toLowerCase();
  const types = TYPE_SELECTORS[key];
  if (!types) {
    throw new InvalidInput(`'${selector}' is not a valid DID type. Valid types are all, collection, container, dataset and file.`, {
      rucioClass: 'UnsupportedOperation',
      details: { type: selector },
    });
  }
  return types;
}

/** Rucio's date formats for filter values (taken as UTC), plus ISO 8601 with a zone. */
const DATE_PATTERNS: RegExp[] = [
  /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/,
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/,
  /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} (UTC|GMT)$/,
];

function parseDate(text: string): Date | null {
  if (!DATE_PATTERNS.some((p) => p.test(text))) return null;
  const iso = /^\d{4}-/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text.replace(' ', 'T')}Z` : text.replace(/ UTC$/, ' GMT');
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Rucio types values that arrive as text (from the CLI or a query string): booleans, dates, numbers, quoted strings. */
export function typecastFilterValue(text: string): DidFilterScalar {
  const trimmed = text.trim();
  if (/^(true|True|TRUE)$/.test(trimmed)) return true;
  if (/^(false|False|FALSE)$/.test(trimmed)) return false;
  const date = parseDate(trimmed);
  if (date) return date;
  if (/^[-+]?(0|[1-9]\d*)$/.test(trimmed) || /^[-+]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  const quoted = /^'(.*)'$/.exec(trimmed) ?? /^"(.*)"$/.exec(trimmed);
  if (quoted) return quoted[1];
  return text;
}

const CLI_OPERATORS: [string, string][] = [
  ['<=', 'lte'],
  ['>=', 'gte'],
  ['==', ''],
  ['!=', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', ''],
];
const REVERSED: Record<string, string> = { lt: 'gt', gt: 'lt', lte: 'gte', gte: 'lte', '': '', ne: 'ne' };

/** Parses the CLI form: ';' separates OR groups, ',' separates AND terms; `a<x<b` compound ranges allowed. */
export function parseFilterString(input: string): Record<string, string>[] {
  const tokenizer = /(<=|>=|==|!=|>|<|=)/;
  const suffix = (op: string) => CLI_OPERATORS.find(([symbol]) => symbol === op)![1];
  const groups: Record<string, string>[] = [];
  for (const orGroup of input.split(';').map((g) => g.trim()).filter(Boolean)) {
    const group: Record<string, string> = {};
    const put = (key: string, op: string, value: string) => {
      const full = op ? `${key}.${op}` : key;
      if (full in group) throw invalid(`The filter "${orGroup}" gives '${full}' twice; give each key and operator once per group.`, { key: full });
      group[full] = value;
    };
    for (const andTerm of orGroup.split(',').map((t) => t.trim()).filter(Boolean)) {
      const tokens = andTerm.split(tokenizer).map((t) => t.trim()).filter((t) => t !== '');
      if (tokens.length === 3 && tokenizer.test(tokens[1])) {
        put(tokens[0], suffix(tokens[1]), tokens[2]);
      } else if (tokens.length === 5 && tokenizer.test(tokens[1]) && tokenizer.test(tokens[3])) {
        put(tokens[2], REVERSED[suffix(tokens[1])], tokens[0]);
        put(tokens[2], suffix(tokens[3]), tokens[4]);
      } else {
        throw invalid(
          `Cannot read the filter term "${andTerm}": write key<op>value with op one of <=, >=, ==, !=, >, <, = ` +
            "(e.g. run_number>=4711), ',' between terms that must all hold and ';' between alternatives.",
          { term: andTerm },
        );
      }
    }
    groups.push(group);
  }
  return groups;
}

function splitKey(fullKey: string): { key: string; op: DidFilterOperator } {
  const parts = fullKey.split('.');
  if (parts.length > 2 || parts[0] === '') {
    throw invalid(`Invalid filter key '${fullKey}': write the key, optionally followed by '.' and an operator (e.g. run_number.gte).`, {
      key: fullKey,
    });
  }
  const suffix = parts[1] ?? '';
  const op = SUFFIX_OPERATORS[suffix];
  if (!op) {
    throw invalid(
      `Unknown operator '${suffix}' in filter key '${fullKey}': use one of lt, lte, gt, gte, ne, in, or no suffix for equality.`,
      { key: fullKey, operator: suffix },
    );
  }
  return { key: parts[0], op };
}

function scalarOf(key: string, value: unknown): DidFilterScalar {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return typecastFilterValue(value);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value;
  throw invalid(`Invalid value ${JSON.stringify(value)} for filter key '${key}': give a string, number, boolean or date.`, { key });
}

const DID_TYPE_VALUES: Record<string, DidType> = {
  F: DidType.FILE,
  D: DidType.DATASET,
  C: DidType.CONTAINER,
  FILE: DidType.FILE,
  DATASET: DidType.DATASET,
  CONTAINER: DidType.CONTAINER,
};

/** Coerces a value to the type of a `dids` column, or says why it cannot be. */
function columnValue(key: DidFilterColumn, raw: unknown, typed: DidFilterScalar): DidFilterScalar {
  const kind = DID_FILTER_COLUMNS[key];
  const wrong = (what: string) => invalid(`Invalid value ${JSON.stringify(raw)} for filter key '${key}': ${what}.`, { key });
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw : String(typed);
    case 'number':
      if (typeof typed !== 'number') throw wrong('a number is expected');
      if (key === 'length' && !Number.isInteger(typed)) throw wrong('length is a whole number');
      return typed;
    case 'date': {
      const date = typed instanceof Date ? typed : typeof raw === 'string' ? new Date(raw) : null;
      if (!date || Number.isNaN(date.getTime())) throw wrong('a date is expected, e.g. 2024-05-01T00:00:00Z');
      return date;
    }
    case 'boolean':
      if (typeof typed !== 'boolean') throw wrong('true or false is expected');
      return typed;
    case 'guid': {
      const guid = normalizeGuid(String(raw));
      if (!guid) throw wrong('a GUID is 32 hexadecimal digits (dashes allowed)');
      return guid;
    }
    case 'didType': {
      const type = DID_TYPE_VALUES[String(raw).toUpperCase()];
      if (!type) throw wrong('a DID type is FILE, DATASET or CONTAINER');
      return type;
    }
  }
}

const isWildcard = (v: unknown): v is string => typeof v === 'string' && /[*%]/.test(v);
const likePattern = (v: string) => v.replace(/\\/g, '\\\\').replace(/_/g, '\\_').replace(/\*/g, '%');

function termOf(fullKey: string, raw: unknown): DidFilterTerm | null {
  const { key, op: suffixOp } = splitKey(fullKey);
  const column = Object.prototype.hasOwnProperty.call(DID_FILTER_COLUMNS, key);
  const coerce = (v: unknown) => {
    const typed = scalarOf(fullKey, v);
    return column ? columnValue(key as DidFilterColumn, v, typed) : typed;
  };

  let values: unknown[] | null = Array.isArray(raw) ? raw : null;
  if (suffixOp === 'in' && values === null && typeof raw === 'string') values = raw.split(',').map((v) => v.trim());
  if (values !== null) {
    if (suffixOp !== 'eq' && suffixOp !== 'in') {
      throw invalid(`Filter key '${fullKey}' has a list of values: lists go with equality or 'in' only.`, { key: fullKey });
    }
    if (values.length === 0) throw invalid(`Filter key '${fullKey}' has an empty list of values.`, { key: fullKey });
    return { key, column, op: 'in', value: values.map(coerce) };
  }
  if (suffixOp === 'in') throw invalid(`Filter key '${fullKey}' needs a list of values.`, { key: fullKey });

  const typed = scalarOf(fullKey, raw);
  if (isWildcard(typed)) {
    if (suffixOp !== 'eq' && suffixOp !== 'ne') {
      throw invalid(`Filter key '${fullKey}' has a wildcard value: wildcards go with = or != only.`, { key: fullKey });
    }
    // As Rucio: a lone wildcard does not filter on that key at all.
    if ((typed === '*' || typed === '%') && suffixOp === 'eq') return null;
    if (column && DID_FILTER_COLUMNS[key as DidFilterColumn] !== 'string') {
      throw invalid(`Filter key '${fullKey}' has a wildcard value, but ${key} is not text.`, { key: fullKey });
    }
    return { key, column, op: suffixOp === 'eq' ? 'like' : 'notlike', value: likePattern(typed) };
  }
  const value = coerce(raw);
  if (typeof value === 'boolean' && suffixOp !== 'eq' && suffixOp !== 'ne') {
    throw invalid(`Filter key '${fullKey}' compares a boolean: use = or != for true/false.`, { key: fullKey });
  }
  if (column && (key === 'name' || key === 'did_type') && suffixOp !== 'eq' && suffixOp !== 'ne') {
    throw invalid(`Filter key '${fullKey}': ${key} is compared with = or != only.`, { key: fullKey });
  }
  return { key, column, op: suffixOp, value };
}

/**
 * Parses Rucio DID filters into OR-ed groups of AND-ed terms, each group limited to DID types (its own `type` key,
 * else `defaultType`). Keys are columns of the DID (name, bytes, length, created_at, ...) or metadata keys.
 */
export function parseDidFilters(filters: DidFilterInput, defaultType = 'collection'): DidFilterGroup[] {
  const groups: Record<string, unknown>[] =
    filters === null || filters === undefined || filters === ''
      ? [{}]
      : typeof filters === 'string'
        ? parseFilterString(filters)
        : Array.isArray(filters)
          ? filters
          : [filters];
  if (groups.length === 0) groups.push({});
  return groups.map((input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw invalid(`Invalid filter group ${JSON.stringify(input)}: each group is an object of key -> value.`);
    }
    const group: Record<string, unknown> = { ...input };
    const didTypes = didTypesOf(group.type as string | undefined, defaultType);
    delete group.type;
    if ('created_after' in group) group['created_at.gte'] = group.created_after;
    if ('created_before' in group) group['created_at.lte'] = group.created_before;
    delete group.created_after;
    delete group.created_before;
    const terms = Object.entries(group)
      .map(([key, value]) => termOf(key, value))
      .filter((t): t is DidFilterTerm => t !== null);
    return { didTypes, terms };
  });
}
