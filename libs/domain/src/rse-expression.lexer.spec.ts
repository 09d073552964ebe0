import { InvalidInput } from './errors.js';
import { tokenizeRseExpression } from './rse-expression.lexer.js';

describe('tokenizeRseExpression', () => {
  it('splits terms, comparisons, operators and parentheses with 1-based positions', () => {
    expect(tokenizeRseExpression('(A|tier<2)\\*&k.x=v-1').map((t) => [t.kind, t.text, t.position])).toEqual([
      ['open', '(', 1],
      ['term', 'A', 2],
      ['operator', '|', 3],
      ['term', 'tier<2', 4],
      ['close', ')', 10],
      ['operator', '\\', 11],
      ['all', '*', 12],
      ['operator', '&', 13],
      ['term', 'k.x=v-1', 14],
    ]);
    expect(tokenizeRseExpression('tier>-1.5')[0]).toMatchObject({ key: 'tier', op: '>', value: '-1.5' });
  });

  it('rejects what is not part of the grammar', () => {
    expect(() => tokenizeRseExpression('A#B')).toThrow(InvalidInput);
    expect(() => tokenizeRseExpression('A#B')).toThrow(/unknown character '#' at character 2/);
    expect(() => tokenizeRseExpression('a=b=c')).toThrow(/'=' has no attribute name before it at character 4/);
  });
});
