import { InvalidInput } from './errors.js';
import { expiryFromDate, expiryFromLifetime, isExpired, remainingLifetime, resolveExpiry } from './lifetime.js';

const now = new Date('2030-01-01T00:00:00Z');

describe('lifetime', () => {
  it('adds lifetime seconds to now; no lifetime means no expiry', () => {
    expect(expiryFromLifetime(86400, now)).toEqual(new Date('2030-01-02T00:00:00Z'));
    expect(expiryFromLifetime(0.5, now)).toEqual(new Date('2030-01-01T00:00:00.500Z'));
    expect(expiryFromLifetime(null, now)).toBeNull();
    expect(expiryFromLifetime(undefined, now)).toBeNull();
  });

  it.each([0, -1, NaN, Infinity, '60' as unknown as number])('rejects lifetime %p', (lifetime) => {
    expect(() => expiryFromLifetime(lifetime, now)).toThrow(InvalidInput);
    expect(() => expiryFromLifetime(lifetime, now, 'the rule lifetime')).toThrow(/Invalid the rule lifetime .*greater than 0/);
  });

  it('rejects lifetimes beyond what a date can hold', () => {
    expect(() => expiryFromLifetime(1e13, now)).toThrow(/year 275760/);
  });

  it('accepts future absolute dates as Date, ISO 8601 or RFC 1123', () => {
    expect(expiryFromDate(new Date('2030-06-01T00:00:00Z'), now)).toEqual(new Date('2030-06-01T00:00:00Z'));
    expect(expiryFromDate('2030-06-01T12:00:00Z', now)).toEqual(new Date('2030-06-01T12:00:00Z'));
    expect(expiryFromDate('Sat, 01 Jun 2030 12:00:00 UTC', now)).toEqual(new Date('2030-06-01T12:00:00Z'));
  });

  it('rejects past, present and unparseable dates with a clear message', () => {
    expect(() => expiryFromDate('2029-12-31T23:59:59Z', now)).toThrow(
      /2029-12-31T23:59:59.000Z: it is not in the future \(now is 2030-01-01T00:00:00.000Z\)/,
    );
    expect(() => expiryFromDate(now, now)).toThrow(/not in the future/);
    expect(() => expiryFromDate('next tuesday', now)).toThrow(/"next tuesday": not a date/);
    try {
      expiryFromDate('2000-01-01', now);
    } catch (error) {
      expect((error as InvalidInput).rucioClass).toBe('InvalidValueForKey');
    }
  });

  it('resolves either a lifetime or an absolute time, not both', () => {
    expect(resolveExpiry({ lifetime: 60 }, now)).toEqual(new Date('2030-01-01T00:01:00Z'));
    expect(resolveExpiry({ expiresAt: '2030-01-01T01:00:00Z' }, now)).toEqual(new Date('2030-01-01T01:00:00Z'));
    expect(resolveExpiry({}, now)).toBeNull();
    expect(resolveExpiry({ lifetime: null, expiresAt: null }, now)).toBeNull();
    expect(() => resolveExpiry({ lifetime: 60, expiresAt: '2030-01-02T00:00:00Z' }, now, 'rule 42')).toThrow(/for rule 42\. Give only one/);
  });

  it('tells whether something expired and how long it has left', () => {
    const at = new Date('2030-01-01T00:00:10Z');
    expect(isExpired(at, now)).toBe(false);
    expect(isExpired(at, new Date('2030-01-01T00:00:10Z'))).toBe(true);
    expect(isExpired(null, now)).toBe(false);
    expect(remainingLifetime(at, now)).toBe(10);
    expect(remainingLifetime(at, new Date('2031-01-01T00:00:00Z'))).toBe(0);
    expect(remainingLifetime(null, now)).toBeNull();
  });
});
