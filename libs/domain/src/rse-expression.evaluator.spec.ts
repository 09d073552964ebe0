import { InvalidInput } from './errors.js';
import { compileRseExpression, evaluateRseExpression } from './rse-expression.evaluator.js';
import { RseDescriptor } from './rse-descriptor.js';
import { parseRseExpression } from './rse-expression.parser.js';
import { RseType } from './states.js';

function rse(name: string, overrides: Partial<RseDescriptor> = {}): RseDescriptor {
  return {
    id: `id-${name}`,
    name,
    rseType: RseType.DISK,
    deterministic: true,
    volatile: false,
    qosClass: null,
    availabilityRead: true,
    availabilityWrite: true,
    availabilityDelete: true,
    attributes: {},
    ...overrides,
  };
}

const RSES: RseDescriptor[] = [
  rse('SITE_A', { qosClass: 'SAFE', attributes: { tier: 1, country: 'ch', freespace: '500', fast: true, volatile: 'yes' } }),
  rse('SITE_B', { qosClass: 'FAST', qosPolicies: ['FAST', 'CHEAP-ANALYSIS'], attributes: { tier: 2, country: 'de', freespace: 100, fast: 'True' } }),
  rse('SITE_C', { rseType: RseType.TAPE, deterministic: false, qosClass: 'SAFE', attributes: { tier: '1', country: 'de', freespace: 'n/a' } }),
  rse('SITE_D', { volatile: true, availabilityWrite: false, attributes: { tier: '3', country: 'fr', fast: false } }),
];

const names = (expression: string): string[] =>
  [...evaluateRseExpression(expression, RSES)].map((id) => id.replace(/^id-/, ''));

function errorOf(expression: string): InvalidInput {
  try {
    evaluateRseExpression(expression, RSES);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).rucioClass).toBe('InvalidRSEExpression');
    return error as InvalidInput;
  }
  throw new Error(`expected '${expression}' to fail`);
}

describe('RSE expressions: selection', () => {
  it.each<[string, string[]]>([
    ['SITE_A', ['SITE_A']],
    ['*', ['SITE_A', 'SITE_B', 'SITE_C', 'SITE_D']],
    ['SITE_A|SITE_B', ['SITE_A', 'SITE_B']],
    ['tier=1&country=de', ['SITE_C']],
    ['*\\SITE_A', ['SITE_B', 'SITE_C', 'SITE_D']],
    ['SITE_A=true', ['SITE_A']],
    ['SITE_A=True', ['SITE_A']],
  ])('%s', (expression, expected) => {
    expect(names(expression)).toEqual(expected);
  });

  it('evaluates strictly left to right: A\\B|C is (A\\B)|C', () => {
    expect(names('tier=1\\SITE_A|SITE_B')).toEqual(['SITE_B', 'SITE_C']);
    expect(names('tier=1\\(SITE_A|SITE_C)|SITE_B')).toEqual(['SITE_B']);
    expect(names('SITE_A|SITE_B&tier=2')).toEqual(['SITE_B']);
    expect(names('SITE_A\\SITE_A|SITE_B')).toEqual(['SITE_B']);
  });

  it('groups with parentheses', () => {
    expect(names('SITE_A|(SITE_B&tier=2)')).toEqual(['SITE_A', 'SITE_B']);
    expect(names('((SITE_A))')).toEqual(['SITE_A']);
    expect(names('(SITE_A|SITE_B)&(country=de|country=fr)')).toEqual(['SITE_B']);
    expect(names('*\\(SITE_A|(SITE_B|SITE_C))')).toEqual(['SITE_D']);
  });

  it('compares attributes as numbers for < and >, skipping values that are not numbers', () => {
    expect(names('freespace>200')).toEqual(['SITE_A']);
    expect(names('freespace<200')).toEqual(['SITE_B']);
    expect(names('tier<2')).toEqual(['SITE_A', 'SITE_C']);
    expect(names('tier>2')).toEqual(['SITE_D']);
    expect(names('tier>-1.5')).toEqual(['SITE_A', 'SITE_B', 'SITE_C', 'SITE_D']);
    expect(evaluateRseExpression('tier<1', RSES, { allowEmpty: true }).size).toBe(0);
  });

  it('compares attributes as strings for =, numbers and booleans included', () => {
    expect(names('tier=1')).toEqual(['SITE_A', 'SITE_C']);
    expect(names('country=de')).toEqual(['SITE_B', 'SITE_C']);
    expect(() => names('country=DE')).toThrow(/selects no RSE/);
    expect(names('fast')).toEqual(['SITE_A', 'SITE_B']);
    expect(names('fast=TRUE')).toEqual(['SITE_A', 'SITE_B']);
    expect(names('fast=false')).toEqual(['SITE_D']);
    expect(names('fast>0')).toEqual(['SITE_A', 'SITE_B']);
  });

  it('matches RSE columns before attributes', () => {
    expect(names('rse_type=TAPE')).toEqual(['SITE_C']);
    expect(names('rse_type=disk')).toEqual(['SITE_A', 'SITE_B', 'SITE_D']);
    expect(names('deterministic=false')).toEqual(['SITE_C']);
    expect(names('deterministic')).toEqual(['SITE_A', 'SITE_B', 'SITE_D']);
    expect(names('volatile')).toEqual(['SITE_D']);
    expect(names('volatile=1')).toEqual(['SITE_D']);
    expect(names('qos_class=SAFE')).toEqual(['SITE_A', 'SITE_C']);
    expect(names('qos_policy=CHEAP-ANALYSIS')).toEqual(['SITE_B']);
    expect(names('qos_policy=FAST|qos_policy=SAFE')).toEqual(['SITE_B']);
    expect(names('availability_write=false')).toEqual(['SITE_D']);
    expect(names('availability_read=true&availability_delete=True')).toEqual(['SITE_A', 'SITE_B', 'SITE_C', 'SITE_D']);
    expect(names('availability=5')).toEqual(['SITE_D']);
    expect(names('rse=SITE_B|name=SITE_C')).toEqual(['SITE_B', 'SITE_C']);
    expect(names('id=id-SITE_A')).toEqual(['SITE_A']);
  });

  it('returns ids in the order of the RSE list', () => {
    expect(names('SITE_C|SITE_A')).toEqual(['SITE_A', 'SITE_C']);
  });

  it('parses once and evaluates against many RSE lists', () => {
    const compiled = compileRseExpression('QOS=SAFE|SITE_X');
    expect(compiled.expression).toBe('QOS=SAFE|SITE_X');
    const first = [rse('SITE_X'), rse('SITE_Y', { attributes: { QOS: 'SAFE' } })];
    const second = [rse('SITE_X', { attributes: { QOS: 'SAFE' } })];
    expect([...compiled.evaluate(first)]).toEqual(['id-SITE_X', 'id-SITE_Y']);
    expect([...compiled.evaluate(second)]).toEqual(['id-SITE_X']);
    expect([...evaluateRseExpression(parseRseExpression('SITE_X'), second)]).toEqual(['id-SITE_X']);
  });

  it('returns an empty set with allowEmpty', () => {
    expect(evaluateRseExpression('SITE_A&SITE_B', RSES, { allowEmpty: true }).size).toBe(0);
  });
});

describe('RSE expressions: errors name the problem and where it is', () => {
  it.each<[string, RegExp]>([
    ['', /the expression is empty/],
    ['(SITE_A|SITE_B', /'\(' is never closed at character 1/],
    ['((SITE_A)', /'\(' is never closed at character 1/],
    ['SITE_A)', /'\)' has no matching '\(' at character 7/],
    ['SITE_A+SITE_B', /unknown character '\+' at character 7/],
    ['SITE_A | SITE_B', /unexpected space at character 7/],
    ['|SITE_A', /operator '\|' has no left operand at character 1/],
    ['SITE_A|', /operator '\|' has no right operand at character 7/],
    ['(SITE_A&)', /operator '&' has no right operand at character 8/],
    ['SITE_A|&SITE_B', /operator '&' follows operator '\|' with no operand between them at character 8/],
    ['SITE_A|()', /'\(\)' groups nothing at character 8/],
    ['SITE_A(SITE_B)', /'SITE_A' and '\(' have no operator between them at character 7/],
    ['(SITE_A)SITE_B', /'\)' and 'SITE_B' have no operator between them at character 9/],
    ['SITE_A*', /'SITE_A' and '\*' have no operator between them at character 7/],
    ['=SAFE', /'=' has no attribute name before it at character 1/],
    ['tier=', /'tier=' has no value after '='/],
    ['tier<abc', /'tier<abc' compares with 'abc', which is not a number at character 1/],
    ['SITE_A|SITE_X', /'SITE_X' is neither an RSE nor an RSE attribute at character 8/],
    ['colour=blue', /'colour' is not an attribute of any RSE at character 1/],
    ['rse_type=SSD', /rse_type is DISK or TAPE, not 'SSD' at character 1/],
    ['rse_type', /rse_type is DISK or TAPE, not 'true'/],
    ['deterministic=maybe', /deterministic is true or false, not 'maybe'/],
    ['availability=9', /availability is a number from 0 to 7/],
    ['qos_class>1', /'qos_class' is not an attribute of any RSE.*qos_class is an RSE column/],
  ])('%j', (expression, message) => {
    const error = errorOf(expression);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`'${expression}'`);
  });

  it('says when an expression selects nothing', () => {
    const error = errorOf('SITE_A&SITE_B');
    expect(error.message).toMatch(/^RSE expression 'SITE_A&SITE_B' selects no RSE\./);
  });

  it('reports syntax errors when parsing, before any RSE list is seen', () => {
    expect(() => compileRseExpression('A||B')).toThrow(/follows operator/);
    expect(() => parseRseExpression(undefined as unknown as string)).toThrow(/empty/);
  });
});
