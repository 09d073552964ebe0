import { DidType, InvalidInput } from '@tarn/domain';
import { didTypesOf, parseDidFilters, parseFilterString, typecastFilterValue } from './did-filter.js';

function errorOf(fn: () => unknown): InvalidInput {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return error as InvalidInput;
  }
  throw new Error('expected an InvalidInput');
}

describe('Rucio DID filters', () => {
  it('read the client form: a list of dicts, keys suffixed with operators', () => {
    const groups = parseDidFilters([{ run_number: 5, 'energy.gte': 1.5, 'name': 'data*' }, { 'stream.ne': 'physics', type: 'all' }]);
    expect(groups).toEqual([
      {
        didTypes: [DidType.CONTAINER, DidType.DATASET],
        terms: [
          { key: 'run_number', column: false, op: 'eq', value: 5 },
          { key: 'energy', column: false, op: 'gte', value: 1.5 },
          { key: 'name', column: true, op: 'like', value: 'data%' },
        ],
      },
      {
        didTypes: [DidType.CONTAINER, DidType.DATASET, DidType.FILE],
        terms: [{ key: 'stream', column: false, op: 'ne', value: 'physics' }],
      },
    ]);
  });

  it('read the CLI string form with ; for or, , for and, and compound ranges', () => {
    expect(parseFilterString('run_number>=5, stream=physics; 1<energy<=3')).toEqual([
      { 'run_number.gte': '5', stream: 'physics' },
      { 'energy.gt': '1', 'energy.lte': '3' },
    ]);
    const [, second] = parseDidFilters('run_number>=5, stream=physics; 1<energy<=3');
    expect(second.terms).toEqual([
      { key: 'energy', column: false, op: 'gt', value: 1 },
      { key: 'energy', column: false, op: 'lte', value: 3 },
    ]);
  });

  it('type values that arrive as text: booleans, numbers, dates, quoted strings', () => {
    expect(typecastFilterValue('true')).toBe(true);
    expect(typecastFilterValue('False')).toBe(false);
    expect(typecastFilterValue('42')).toBe(42);
    expect(typecastFilterValue('-1.5e3')).toBe(-1500);
    expect(typecastFilterValue('007')).toBe('007');
    expect(typecastFilterValue("'42'")).toBe('42');
    expect(typecastFilterValue('2024-05-01 12:00:00')).toEqual(new Date('2024-05-01T12:00:00Z'));
    expect(typecastFilterValue('Wed, 01 May 2024 12:00:00 UTC')).toEqual(new Date('2024-05-01T12:00:00Z'));
    expect(typecastFilterValue('physics')).toBe('physics');
  });

  it('map columns to their types, including Rucio created_after/created_before', () => {
    const [group] = parseDidFilters({ 'length.gt': '3', created_after: '2024-01-01T00:00:00', did_type: 'DATASET', 'bytes.lt': 10 });
    expect(group.terms).toEqual([
      { key: 'length', column: true, op: 'gt', value: 3 },
      { key: 'did_type', column: true, op: 'eq', value: DidType.DATASET },
      { key: 'bytes', column: true, op: 'lt', value: 10 },
      { key: 'created_at', column: true, op: 'gte', value: new Date('2024-01-01T00:00:00Z') },
    ]);
  });

  it('turn lists into in, and drop a lone wildcard', () => {
    const [group] = parseDidFilters({ run: [1, '2'], 'stream.in': 'a,b', name: '*' });
    expect(group.terms).toEqual([
      { key: 'run', column: false, op: 'in', value: [1, 2] },
      { key: 'stream', column: false, op: 'in', value: ['a', 'b'] },
    ]);
  });

  it('escape LIKE specials other than the wildcard', () => {
    const [group] = parseDidFilters({ name: 'a_b\\c*' });
    expect(group.terms[0]).toEqual({ key: 'name', column: true, op: 'like', value: 'a\\_b\\\\c%' });
  });

  it('name unknown operators and bad values', () => {
    expect(errorOf(() => parseDidFilters({ 'run.between': 3 })).message).toMatch(/Unknown operator 'between' in filter key 'run.between'/);
    expect(errorOf(() => parseDidFilters({ 'a.b.c': 3 })).message).toMatch(/Invalid filter key 'a.b.c'/);
    expect(errorOf(() => parseDidFilters({ 'length.gt': 'many' })).message).toMatch(/'length'.*a number is expected/);
    expect(errorOf(() => parseDidFilters({ 'name.gt': 'x' })).message).toMatch(/name is compared with = or != only/);
    expect(errorOf(() => parseDidFilters({ 'run.gt': 'x*' })).message).toMatch(/wildcards go with = or != only/);
    expect(errorOf(() => parseDidFilters({ 'ok.gt': true })).message).toMatch(/boolean/);
    expect(errorOf(() => parseDidFilters({ run: null })).message).toMatch(/Invalid value null/);
    expect(errorOf(() => parseFilterString('run')).message).toMatch(/Cannot read the filter term "run"/);
    expect(errorOf(() => parseFilterString('run>1,run>2')).message).toMatch(/'run.gt' twice/);
  });

  it('know Rucio type selectors and refuse others', () => {
    expect(didTypesOf('collection')).toEqual([DidType.CONTAINER, DidType.DATASET]);
    expect(didTypesOf('FILE')).toEqual([DidType.FILE]);
    expect(errorOf(() => didTypesOf('folder')).rucioClass).toBe('UnsupportedOperation');
  });
});
