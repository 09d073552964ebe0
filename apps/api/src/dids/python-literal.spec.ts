import { InvalidInput } from '@tarn/domain';
import { parsePythonLiteral } from './python-literal.js';

describe('parsePythonLiteral', () => {
  it('reads what the stock client puts in the query string', () => {
    expect(parsePythonLiteral("[{'name': '*', 'run.gte': 5, 'valid': True, 'x': None, 'f': -1.5e2}]", 'filters')).toEqual([
      { name: '*', 'run.gte': 5, valid: true, x: null, f: -150 },
    ]);
    expect(parsePythonLiteral(`[{"a": 'it\\'s', 'b': (1, 2)}, {}]`, 'filters')).toEqual([{ a: "it's", b: [1, 2] }, {}]);
    expect(parsePythonLiteral('[{"a": true, "b": null}]', 'filters')).toEqual([{ a: true, b: null }]);
  });

  it('names where it stopped on bad input', () => {
    for (const bad of ["[{'a': 1}", "[{'a' 1}]", "[{'a': os.system('x')}]", "'open", '[1] 2', '']) {
      expect(() => parsePythonLiteral(bad, 'filters')).toThrow(InvalidInput);
    }
    expect(() => parsePythonLiteral("[{'a': 1}", 'filters')).toThrow(/filters at character 10/);
  });
});
