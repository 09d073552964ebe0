import { InvalidInput } from './errors.js';
import { effectiveAttributes, RseAttributeValue, RseDescriptor } from './rse-descriptor.js';
import { rseExpressionError } from './rse-expression.error.js';
import { ParsedRseExpression, parseRseExpression, RseExpressionNode } from './rse-expression.parser.js';
import { RseType } from './states.js';

export interface EvaluateRseExpressionOptions {
  /** Return an empty set instead of throwing when nothing matches. */
  allowEmpty?: boolean;
}

type TermNode = Extract<RseExpressionNode, { type: 'term' }>;
type ColumnMatcher = (rse: RseDescriptor, value: string, term: TermNode, expression: string) => boolean;

/** Attribute equality as Rucio stores attribute values: booleans and "True"/"FALSE" compare as "true"/"false". */
export function normalizeAttributeValue(value: RseAttributeValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  const lower = value.toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : value;
}

/** Python float() of a stored attribute value, as Rucio's '<' and '>' use it; NaN when not numeric. */
export function attributeNumber(value: RseAttributeValue): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  const text = value.trim().toLowerCase();
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  if (/^[+-]?(inf|infinity)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/.test(text) ? Number(text) : NaN;
}

function parseBoolean(value: string, term: TermNode, expression: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw rseExpressionError(expression, `'${term.text}': ${term.key} is true or false, not '${value}'`, term.position);
}

function availabilityBits(rse: RseDescriptor): number {
  return (rse.availabilityRead ? 4 : 0) | (rse.availabilityWrite ? 2 : 0) | (rse.availabilityDelete ? 1 : 0);
}

const booleanColumn =
  (read: (rse: RseDescriptor) => boolean): ColumnMatcher =>
  (rse, value, term, expression) =>
    read(rse) === parseBoolean(value, term, expression);

// RSE columns take precedence over attributes of the same name, as in Rucio's list_rses.
const COLUMNS: Record<string, ColumnMatcher> = {
  id: (rse, value) => rse.id === value,
  rse: (rse, value) => rse.name === value,
  name: (rse, value) => rse.name === value,
  rse_type: (rse, value, term, expression) => {
    const type = value.toUpperCase();
    if (type !== RseType.DISK && type !== RseType.TAPE) {
      throw rseExpressionError(expression, `'${term.text}': rse_type is DISK or TAPE, not '${value}'`, term.position);
    }
    return rse.rseType === type;
  },
  deterministic: booleanColumn((rse) => rse.deterministic),
  volatile: booleanColumn((rse) => rse.volatile),
  qos_class: (rse, value) => rse.qosClass === value,
  qos_policy: (rse, value) => rse.qosPolicies?.includes(value) ?? false,
  availability_read: booleanColumn((rse) => rse.availabilityRead),
  availability_write: booleanColumn((rse) => rse.availabilityWrite),
  availability_delete: booleanColumn((rse) => rse.availabilityDelete),
  availability: (rse, value, term, expression) => {
    if (!/^[0-7]$/.test(value)) {
      throw rseExpressionError(expression, `'${term.text}': availability is a number from 0 to 7 (read 4 + write 2 + delete 1)`, term.position);
    }
    return availabilityBits(rse) === Number(value);
  },
};

export const RSE_EXPRESSION_COLUMNS: readonly string[] = Object.keys(COLUMNS);

interface EvaluationContext {
  expression: string;
  rses: readonly RseDescriptor[];
  attributes: Map<string, Record<string, RseAttributeValue>>;
  knownKeys: Set<string>;
}

function evaluateTerm(term: TermNode, ctx: EvaluationContext): Set<string> {
  const { expression } = ctx;
  const column = Object.prototype.hasOwnProperty.call(COLUMNS, term.key) ? COLUMNS[term.key] : undefined;
  const comparing = term.op === '<' || term.op === '>';

  if (column && !comparing) {
    const value = term.value ?? 'true';
    return new Set(ctx.rses.filter((rse) => column(rse, value, term, expression)).map((rse) => rse.id));
  }
  if (!ctx.knownKeys.has(term.key)) {
    const what = term.op === null ? 'neither an RSE nor an RSE attribute' : 'not an attribute of any RSE';
    const hint = column ? `'<' and '>' compare numeric attributes; ${term.key} is an RSE column.` : 'Check the spelling (names are case sensitive).';
    throw rseExpressionError(expression, `'${term.key}' is ${what}`, term.position, hint);
  }

  const matches = (value: RseAttributeValue | undefined): boolean => {
    if (value === undefined) return false;
    if (term.op === '<') return attributeNumber(value) < Number(term.value);
    if (term.op === '>') return attributeNumber(value) > Number(term.value);
    return normalizeAttributeValue(value) === normalizeAttributeValue(term.value ?? true);
  };
  return new Set(ctx.rses.filter((rse) => matches(ctx.attributes.get(rse.id)?.[term.key])).map((rse) => rse.id));
}

function evaluateNode(node: RseExpressionNode, ctx: EvaluationContext): Set<string> {
  switch (node.type) {
    case 'all':
      return new Set(ctx.rses.map((rse) => rse.id));
    case 'term':
      return evaluateTerm(node, ctx);
    case 'set': {
      const left = evaluateNode(node.left, ctx);
      const right = evaluateNode(node.right, ctx);
      if (node.op === '|') return new Set([...left, ...right]);
      if (node.op === '&') return new Set([...left].filter((id) => right.has(id)));
      return new Set([...left].filter((id) => !right.has(id)));
    }
  }
}

/**
 * The ids of the RSEs an expression selects, in the order of `rses`. Throws InvalidRSEExpression for syntax
 * errors, unknown terms, and (unless allowEmpty) when nothing is selected.
 */
export function evaluateRseExpression(
  parsed: ParsedRseExpression | string,
  rses: readonly RseDescriptor[],
  options: EvaluateRseExpressionOptions = {},
): Set<string> {
  const expression = typeof parsed === 'string' ? parseRseExpression(parsed) : parsed;
  const attributes = new Map<string, Record<string, RseAttributeValue>>();
  const knownKeys = new Set<string>();
  for (const rse of rses) {
    const attrs = effectiveAttributes(rse);
    attributes.set(rse.id, attrs);
    for (const key of Object.keys(attrs)) knownKeys.add(key);
  }
  const ctx: EvaluationContext = { expression: expression.expression, rses, attributes, knownKeys };

  const selected = evaluateNode(expression.root, ctx);
  const ordered = new Set(rses.filter((rse) => selected.has(rse.id)).map((rse) => rse.id));
  if (ordered.size === 0 && !options.allowEmpty) {
    throw new InvalidInput(
      `RSE expression '${expression.expression}' selects no RSE. ` +
        'Check the names and attribute values (tarn rse list -e <expression>, or rucio rse list --rses <expression>, shows what a term matches).',
      { rucioClass: 'InvalidRSEExpression', details: { expression: expression.expression, problem: 'selects no RSE' } },
    );
  }
  return ordered;
}

export interface CompiledRseExpression extends ParsedRseExpression {
  evaluate(rses: readonly RseDescriptor[], options?: EvaluateRseExpressionOptions): Set<string>;
}

/** Parse once, evaluate many times (e.g. against a briefly cached RSE list). */
export function compileRseExpression(expression: string): CompiledRseExpression {
  const parsed = parseRseExpression(expression);
  return {
    ...parsed,
    evaluate: (rses, options) => evaluateRseExpression(parsed, rses, options),
  };
}
