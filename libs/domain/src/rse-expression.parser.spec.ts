import { parseRseExpression, RseExpressionNode } from './rse-expression.parser.js';

function show(node: RseExpressionNode): string {
  if (node.type === 'all') return '*';
  if (node.type === 'term') return node.text;
  return `(${show(node.left)}${node.op}${show(node.right)})`;
}

describe('parseRseExpression', () => {
  it.each([
    ['A\\B|C', '((A\\B)|C)'],
    ['A|B&C', '((A|B)&C)'],
    ['A&B\\C|D', '(((A&B)\\C)|D)'],
    ['A\\(B|C)', '(A\\(B|C))'],
    ['((A))', 'A'],
    ['*\\tier<2', '(*\\tier<2)'],
    ['(A|B)&(C|k=v)', '((A|B)&(C|k=v))'],
  ])('%s groups as %s', (expression, tree) => {
    expect(show(parseRseExpression(expression).root)).toBe(tree);
  });

  it('keeps the source expression and the operator positions', () => {
    const parsed = parseRseExpression('A|B');
    expect(parsed.expression).toBe('A|B');
    expect(parsed.root).toMatchObject({ type: 'set', op: '|', position: 2 });
  });
});
