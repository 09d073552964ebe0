import { expiryBody, parseDate, parseDidArg, parseDidFilters, parseDuration, parseLifetime, parseSize } from './arguments.js';
import { loadCliConfig, serverUrl } from './config.js';
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
    expect(parseDidArg('user.jdoe:run/4711.raw')).toEqual({ scope: 'user.jdoe', name: 'run/4711.raw' });
    expect(() => parseDidArg('user.jdoe:a:b')).toThrow(/must not contain ':'/);
    // A DID's scope and name become paths: none that would leave a directory gets as far as a request.
    expect(() => parseDidArg('..:x')).toThrow(/Invalid scope "\.\."/);
    expect(() => parseDidArg('user.jdoe:a/../b')).toThrow(/'\.' or '\.\.' as a path segment/);
    expect(parseDidArg('f1', 'user.x')).toEqual({ scope: 'user.x', name: 'f1' });
    expect(() => parseDidArg('f1')).toThrow(/not a DID/);
    expect(parseDuration('30d', 'x')).toBe(2_592_000);
    expect(parseDuration('90', 'x')).toBe(90);
    expect(() => parseDuration('soon', 'x')).toThrow(/not a duration/);
    expect(parseSize('10TB', 'x')).toBe(10e12);
    expect(parseSize('1.5kB', 'x')).toBe(1500);
    expect(parseSize('512MiB', 'x')).toBe(512 * 1024 * 1024);
    expect(() => parseSize('fast', '--limit-rate')).toThrow(/^--limit-rate 'fast' is not a size/);
  });

  it('reads durations with units, in one or several parts, and nothing else', () => {
    for (const [text, seconds] of [
      ['2d', 172_800], ['48h', 172_800], ['2 days', 172_800], ['1 day 24 hours', 172_800], ['1h30m', 5400], ['90m', 5400],
      ['2w', 1_209_600], ['9 months', 9 * 30 * 86400], ['1 year', 365 * 86400], ['45 s', 45], ['3600', 3600], ['1.5h', 5400], ['2 Days', 172_800],
    ] as const) {
      expect([text, parseDuration(text, '--lifetime')]).toEqual([text, seconds]);
    }
    for (const text of ['', 'soon', '2 dayz', '0', '0d', '-1d', '2d x', 'd2', '2 days ago']) {
      expect(() => parseDuration(text, '--lifetime')).toThrow(/^--lifetime '.*' (is not a duration|must be longer than 0 seconds)/);
    }
  });

  it('reads an absolute expiry as a lifetime, UTC unless a zone is given, and only in the future', () => {
    const now = new Date('2026-11-21T04:20:00Z');
    expect(parseLifetime('30d', 'x', now)).toEqual({ seconds: 2_592_000, at: null });
    expect(parseLifetime('2026-11-22', 'x', now)).toEqual({ seconds: 70_800, at: new Date('2026-11-22T00:00:00Z') });
    expect(parseDate('2027-01-31 12:00', 'x')).toEqual(new Date('2027-01-31T12:00:00Z'));
    expect(parseDate('2027-01-31T12:00:30+01:00', 'x')).toEqual(new Date('2027-01-31T11:00:30Z'));
    expect(parseDate('2027-01-31T12:00 UTC', 'x')).toEqual(new Date('2027-01-31T12:00:00Z'));
    expect(() => parseDate('2027-02-30x', 'x')).toThrow(/is not a date/);
    expect(() => parseDate('2027-02-30', 'x')).toThrow(/is not a valid date/);
    expect(() => parseLifetime('2026-11-21T04:19Z', '--lifetime', now)).toThrow(/is not in the future/);
    expect(expiryBody(parseLifetime('2026-11-22', 'x', now), 'expires_at')).toEqual({ expires_at: '2026-11-22T00:00:00.000Z' });
    expect(expiryBody(parseLifetime('1d', 'x', now), 'expired_at')).toEqual({ lifetime: 86400 });
  });

  it('finds the server where TARN_HOST and TARN_PORT put it', () => {
    expect(serverUrl({})).toBeUndefined();
    expect(serverUrl({ TARN_PORT: '9090' })).toBe('http://127.0.0.1:9090');
    expect(serverUrl({ TARN_HOST: '0.0.0.0', TARN_PORT: '9090' })).toBe('http://127.0.0.1:9090');
    expect(serverUrl({ TARN_HOST: 'tarn.lab.org' })).toBe('http://tarn.lab.org:8080');
    expect(loadCliConfig({}, { env: { TARN_PORT: '9090', HOME: '/nonexistent' } }).url).toBe('http://127.0.0.1:9090');
    expect(loadCliConfig({ url: 'localhost:7000' }, { env: { TARN_PORT: '9090', HOME: '/nonexistent' } }).url).toBe('http://localhost:7000');
    expect(loadCliConfig({}, { env: { TARN_PORT: '9090', TARN_URL: 'https://tarn.example.org', HOME: '/nonexistent' } }).url).toBe('https://tarn.example.org');
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
    expect(formatBytes(256.4102564102564)).toBe('256 B'); // a rate: 10 B in 0.039 s
  });
});
