import { scalar } from '../arguments.js';
import { CliError, ExitCode } from '../errors.js';

const OPERATORS: Array<[string, string]> = [
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
    const found = OPERATORS.map(([op, suffix]) => ({ op, suffix, at: part.indexOf(op) }))
      .filter((o) => o.at > 0)
      .sort((a, b) => a.at - b.at || b.op.length - a.op.length)[0];
    if (!found) throw new CliError(`Filter '${part}' has no operator: write key=value, key!=value, key>number, key>=number, key<number or key<=number.`, ExitCode.USAGE);
    const key = part.slice(0, found.at).trim();
    const value = part.slice(found.at + found.op.length).trim();
    filter[found.suffix ? `${key}.${found.suffix}` : key] = scalar(value);
  }
  return filter;
}
