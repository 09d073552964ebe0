import { InvalidInput } from '@tarn/domain';

/**
 * The stock client sends list_dids filters as `str()` of a Python list of dicts in the query string
 * (`[{'name': '*', 'run.gte': 5, 'valid': True}]`), which Rucio reads with ast.literal_eval. This reads that
 * subset — dicts, lists, tuples, strings, numbers, True/False/None — and JSON, which it includes.
 */
export function parsePythonLiteral(text: string, what: string): unknown {
  let at = 0;
  const fail = (message: string): never => {
    throw new InvalidInput(`Cannot read ${what} at character ${at + 1}: ${message}. Give a list of dicts, e.g. [{"run_number": 5}].`, {
      rucioClass: 'InvalidObject',
      details: { at },
    });
  };
  const skip = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const expect = (char: string) => {
    skip();
    if (text[at] !== char) fail(`expected '${char}', found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
    at++;
  };
  const string = (): string => {
    const quote = text[at++];
    let out = '';
    while (at < text.length && text[at] !== quote) {
      if (text[at] === '\\') {
        const next = text[at + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '/': '/', b: '\b', f: '\f', '0': '\0' };
        if (next in simple) {
          out += simple[next];
          at += 2;
        } else if (next === 'u' || next === 'x') {
          const digits = next === 'u' ? 4 : 2;
          const hex = text.slice(at + 2, at + 2 + digits);
          if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) fail('invalid escape');
          out += String.fromCharCode(parseInt(hex, 16));
          at += 2 + digits;
        } else fail('invalid escape');
      } else out += text[at++];
    }
    if (at >= text.length) fail('unterminated string');
    at++;
    return out;
  };
  const sequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    at++;
    skip();
    while (text[at] !== close) {
      items.push(value());
      skip();
      if (text[at] === ',') {
        at++;
        skip();
      } else if (text[at] !== close) fail(`expected ',' or '${close}'`);
    }
    at++;
    return items;
  };
  const dict = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    at++;
    skip();
    while (text[at] !== '}') {
      const key = value();
      if (typeof key !== 'string' && typeof key !== 'number') fail('a dict key must be a string or a number');
      expect(':');
      out[String(key)] = value();
      skip();
      if (text[at] === ',') {
        at++;
        skip();
      } else if (text[at] !== '}') fail("expected ',' or '}'");
    }
    at++;
    return out;
  };
  const value = (): unknown => {
    skip();
    const char = text[at];
    if (char === undefined) return fail('unexpected end');
    if (char === '{') return dict();
    if (char === '[') return sequence(']');
    if (char === '(') return sequence(')');
    if (char === "'" || char === '"') return string();
    const word = /^(True|False|None|true|false|null)\b/.exec(text.slice(at));
    if (word) {
      at += word[0].length;
      return word[0] === 'True' || word[0] === 'true' ? true : word[0] === 'False' || word[0] === 'false' ? false : null;
    }
    const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(at));
    if (number) {
      at += number[0].length;
      return Number(number[0]);
    }
    return fail(`unexpected '${char}'`);
  };
  const result = value();
  skip();
  if (at < text.length) fail(`unexpected '${text[at]}' after the value`);
  return result;
}
