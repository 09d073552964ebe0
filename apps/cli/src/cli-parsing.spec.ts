import { parseDidArg, parseDuration, parseSize } from './arguments.js';
import { loadCliConfig } from './config.js';
import { parseDidFilters } from './commands/did-filter.js';
import { exitCodeOfClass } from './errors.js';
import { formatBytes, formatTable } from './table.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('tarn CLI parsing', () => {
  it('turns filter expressions into Rucio filter keys', () => {
    expect(parseDidFilters(['run>=5,type=raw', 'name=run*', 'x!=3', 'y<2', 'z<=1.5', 'w>0'])).toEqual({
      'run.gte': 5, type: 'raw', name: 'run*', 'x.ne': 3, 'y.lt': 2, 'z.lte': 1.5, 'w.gt': 0,
    });
    expect(() => parseDidFilters(['run'])).toThrow(/no operator/);
  });

  it('reads DIDs, durations and sizes', () => {
    expect(parseDidArg('user.jdoe:a:b')).toEqual({ scope: 'user.jdoe', name: 'a:b' });
    expect(parseDidArg('f1', 'user.x')).toEqual({ scope: 'user.x', name: 'f1' });
    expect(() => parseDidArg('f1')).toThrow(/not a DID/);
    expect(parseDuration('30d', 'x')).toBe(2_592_000);
    expect(parseDuration('90', 'x')).toBe(90);
    expect(() => parseDuration('soon', 'x')).toThrow(/not a duration/);
    expect(parseSize('10TB', 'x')).toBe(10e12);
    expect(parseSize('1.5kB', 'x')).toBe(1500);
  });

  it('maps Rucio exception classes to exit codes', () => {
    expect(exitCodeOfClass('CannotAuthenticate', 401)).toBe(3);
    expect(exitCodeOfClass('DataIdentifierNotFound', 404)).toBe(4);
    expect(exitCodeOfClass('RSENotFound', 404)).toBe(4);
    expect(exitCodeOfClass('DuplicateRule', 409)).toBe(5);
    expect(exitCodeOfClass('InvalidRSEExpression', 400)).toBe(2);
    expect(exitCodeOfClass('InsufficientAccountLimit', 401)).toBe(6);
    expect(exitCodeOfClass(undefined, 500)).toBe(1);
  });

  it('layers config file, environment and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tarn-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ url: 'http://file:1', account: 'fromfile', parallel: 2 }));
    const config = loadCliConfig({ config: file, account: 'fromflag' }, { env: { TARN_URL: 'http://env:2/', HOME: dir } });
    expect(config).toMatchObject({ url: 'http://env:2', account: 'fromflag', username: 'fromflag', parallel: 2 });
    writeFileSync(file, '{"nope": 1}');
    expect(() => loadCliConfig({ config: file }, { env: {} })).toThrow(/Unknown key\(s\) nope/);
  });

  it('formats tables and sizes', () => {
    expect(formatTable([{ a: 'x', n: 5 }, { a: 'longer', n: 12345 }], [{ header: 'A', value: (r) => r.a }, { header: 'N', value: (r) => r.n, align: 'right' }])).toBe(
      'A           N\n------  -----\nx           5\nlonger  12345\n',
    );
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(999)).toBe('999 B');
  });
});
