import { rseExpressionError } from './rse-expression.error.js';

export type RseComparison = '=' | '<' | '>';
export type RseSetOperator = '|' | '&' | '\\';

/** Positions are 1-based character indexes into the expression. */
export type RseToken =
  | { kind: 'term'; key: string; op: RseComparison | null; value: string | null; text: string; position: number }
  | { kind: 'all'; text: '*'; position: number }
  | { kind: 'operator'; op: RseSetOperator; text: RseSetOperator; position: number }
  | { kind: 'open'; text: '('; position: number }
  | { kind: 'close'; text: ')'; position: number };

// A superset of Rucio's character sets (rse_expression_parser.py): keys, values and bare names are
// letters, digits, '.', '_' and '-'.
const WORD_CHAR = /[A-Za-z0-9._-]/;
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE]-?\d+)?$/;
const SYNTAX_HINT = "Terms are NAME, key=value, key<number, key>number or '*', joined by '|', '&' or '\\'.";

export function tokenizeRseExpression(expression: string): RseToken[] {
  const tokens: RseToken[] = [];
  let i = 0;
  const readWord = (): string => {
    const start = i;
    while (i < expression.length && WORD_CHAR.test(expression[i])) i++;
    return expression.slice(start, i);
  };

  while (i < expression.length) {
    const char = expression[i];
    const position = i + 1;
    if (char === '(') {
      tokens.push({ kind: 'open', text: '(', position });
      i++;
    } else if (char === ')') {
      tokens.push({ kind: 'close', text: ')', position });
      i++;
    } else if (char === '|' || char === '&' || char === '\\') {
      tokens.push({ kind: 'operator', op: char, text: char, position });
      i++;
    } else if (char === '*') {
      tokens.push({ kind: 'all', text: '*', position });
      i++;
    } else if (WORD_CHAR.test(char)) {
      const key = readWord();
      const next = expression[i];
      if (next === '=' || next === '<' || next === '>') {
        i++;
        const value = readWord();
        if (value === '') {
          throw rseExpressionError(expression, `'${key}${next}' has no value after '${next}'`, i, SYNTAX_HINT);
        }
        if (next !== '=' && !NUMBER.test(value)) {
          throw rseExpressionError(
            expression,
            `'${key}${next}${value}' compares with '${value}', which is not a number`,
            position,
            `'<' and '>' compare numeric attributes, e.g. freespace>100.`,
          );
        }
        tokens.push({ kind: 'term', key, op: next, value, text: `${key}${next}${value}`, position });
      } else {
        tokens.push({ kind: 'term', key, op: null, value: null, text: key, position });
      }
    } else if (char === '=' || char === '<' || char === '>') {
      throw rseExpressionError(expression, `'${char}' has no attribute name before it`, position, SYNTAX_HINT);
    } else if (/\s/.test(char)) {
      throw rseExpressionError(expression, 'unexpected space', position, 'RSE expressions contain no spaces.');
    } else {
      throw rseExpressionError(expression, `unknown character '${char}'`, position, SYNTAX_HINT);
    }
  }
  return tokens;
}
