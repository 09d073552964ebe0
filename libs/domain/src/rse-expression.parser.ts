import { rseExpressionError } from './rse-expression.error.js';
import { RseComparison, RseSetOperator, RseToken, tokenizeRseExpression } from './rse-expression.lexer.js';

export type RseExpressionNode =
  | { type: 'term'; key: string; op: RseComparison | null; value: string | null; text: string; position: number }
  | { type: 'all'; position: number }
  | { type: 'set'; op: RseSetOperator; left: RseExpressionNode; right: RseExpressionNode; position: number };

export interface ParsedRseExpression {
  expression: string;
  root: RseExpressionNode;
}

/**
 * Grammar (Rucio's, no operator precedence: strictly left to right, parentheses group):
 *   expression := operand (operator operand)*
 *   operand    := term | '*' | '(' expression ')'
 */
export function parseRseExpression(expression: string): ParsedRseExpression {
  if (typeof expression !== 'string' || expression.length === 0) {
    throw rseExpressionError(String(expression ?? ''), 'the expression is empty', undefined,
      "Give at least one RSE name, key=value term or '*'.");
  }
  const tokens = tokenizeRseExpression(expression);
  checkParentheses(expression, tokens);

  let index = 0;
  const peek = (): RseToken | undefined => tokens[index];
  const fail = (problem: string, position?: number): never => {
    throw rseExpressionError(expression, problem, position);
  };

  const parseOperand = (after: RseToken | null): RseExpressionNode => {
    const token = peek();
    if (!token || token.kind === 'close') {
      return fail(`operator '${after?.text}' has no right operand`, after?.position);
    }
    switch (token.kind) {
      case 'term':
        index++;
        return { type: 'term', key: token.key, op: token.op, value: token.value, text: token.text, position: token.position };
      case 'all':
        index++;
        return { type: 'all', position: token.position };
      case 'open': {
        index++;
        if (peek()?.kind === 'close') return fail("'()' groups nothing", token.position);
        const inner = parseSequence();
        index++; // the matching ')', guaranteed by checkParentheses
        return inner;
      }
      case 'operator':
        return after
          ? fail(`operator '${token.text}' follows operator '${after.text}' with no operand between them`, token.position)
          : fail(`operator '${token.text}' has no left operand`, token.position);
    }
  };

  const parseSequence = (): RseExpressionNode => {
    let left = parseOperand(null);
    let previous = tokens[index - 1];
    for (let token = peek(); token && token.kind !== 'close'; token = peek()) {
      if (token.kind !== 'operator') {
        return fail(`'${previous.text}' and '${token.text}' have no operator between them`, token.position);
      }
      index++;
      const right = parseOperand(token);
      left = { type: 'set', op: token.op, left, right, position: token.position };
      previous = tokens[index - 1];
    }
    return left;
  };

  return { expression, root: parseSequence() };
}

function checkParentheses(expression: string, tokens: RseToken[]): void {
  const open: number[] = [];
  for (const token of tokens) {
    if (token.kind === 'open') open.push(token.position);
    if (token.kind === 'close' && open.pop() === undefined) {
      throw rseExpressionError(expression, "')' has no matching '('", token.position);
    }
  }
  if (open.length > 0) throw rseExpressionError(expression, "'(' is never closed", open[open.length - 1]);
}
