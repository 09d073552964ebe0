import { InvalidInput } from './errors.js';

/** InvalidRSEExpression naming the expression, the problem and (1-based) where it is. */
export function rseExpressionError(
  expression: string,
  problem: string,
  position?: number,
  hint?: string,
): InvalidInput {
  const where = position === undefined ? '' : ` at character ${position}`;
  const message = `Invalid RSE expression '${expression}': ${problem}${where}.${hint ? ` ${hint}` : ''}`;
  return new InvalidInput(message, {
    rucioClass: 'InvalidRSEExpression',
    details: { expression, problem, ...(position === undefined ? {} : { position }) },
  });
}
