import { InvalidInput } from './errors.js';
import {
  formatDid,
  isValidAccountName,
  isValidDidName,
  isValidRseName,
  isValidScope,
  parseDid,
  validateAccountName,
  validateDid,
  validateDidName,
  validateRseName,
  validateScope,
} from './names.js';

function errorOf(fn: () => unknown): InvalidInput {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return error as InvalidInput;
  }
  throw new Error('expected an InvalidInput');
}

describe('scope names', () => {
  it.each(['user.jdoe', 'data18_13TeV', 'a-b', 'A.B.C', 'x'.repeat(25)])('accepts %s', (scope) => {
    expect(validateScope(scope)).toBe(scope);
  });
  it.each([
    ['', /empty/],
    ['x'.repeat(26), /at most 25/],
    ['user jdoe', /only letters/],
    ['user/jdoe', /only letters/],
    ['scope:x', /only letters/],
  ])('rejects %j', (scope, reason) => {
    const error = errorOf(() => validateScope(scope));
    expect(error.rucioClass).toBe('InvalidObject');
    expect(error.message).toContain(JSON.stringify(scope));
    expect(error.message).toMatch(reason);
    expect(isValidScope(scope)).toBe(false);
  });
});

describe('DID names', () => {
  it.each(['file.root', 'run1/raw/file_001.dat', 'a..b', '.hidden', 'x'.repeat(250), 'name with space'])('accepts %j', (name) => {
    expect(validateDidName(name)).toBe(name);
    expect(isValidDidName(name)).toBe(true);
  });
  it.each([
    ['', /empty/],
    ['x'.repeat(251), /at most 250/],
    ['bad\nname', /control characters.*U\+000a at character 4/],
    ['bad\u0000', /control/],
    ['bad\u007f', /control/],
    ['/abs/path', /start with '\/'/],
    ['dir/', /end with '\/'/],
    ['a//b', /'\/\/'/],
    ['a/../b', /'\.\.'/],
    ['..', /'\.\.'/],
    ['a/./b', /'\.'/],
    ['a:b', /':'/],
  ])('rejects %j', (name, reason) => {
    const error = errorOf(() => validateDidName(name));
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(JSON.stringify(name));
  });
});

describe('account names', () => {
  it.each(['jdoe', 'root', 'prod-user_1', 'a'.repeat(25)])('accepts %s', (account) => {
    expect(validateAccountName(account)).toBe(account);
  });
  it.each([['JDoe', /lower-case/], ['a.b', /lower-case/], ['', /empty/], ['a'.repeat(26), /at most 25/]])(
    'rejects %j',
    (account, reason) => {
      expect(errorOf(() => validateAccountName(account)).message).toMatch(reason);
      expect(isValidAccountName(account)).toBe(false);
    },
  );
});

describe('RSE names', () => {
  it.each(['SITE_A', 'CERN-PROD_DATADISK', 'X1', 'A'.repeat(255)])('accepts %s', (rse) => {
    expect(validateRseName(rse)).toBe(rse);
  });
  it('suggests the upper-case name', () => {
    expect(errorOf(() => validateRseName('site_a')).message).toMatch(/upper case \(did you mean "SITE_A"\?\)/);
  });
  it.each([['SITE.A', /only upper-case/], ['', /empty/], ['A'.repeat(256), /at most 255/], ['SITE A', /only upper-case/]])(
    'rejects %j',
    (rse, reason) => {
      expect(errorOf(() => validateRseName(rse)).message).toMatch(reason);
      expect(isValidRseName(rse)).toBe(false);
    },
  );
});

describe('parseDid', () => {
  it('splits at the first colon', () => {
    expect(parseDid('user.jdoe:run1/file.root')).toEqual({ scope: 'user.jdoe', name: 'run1/file.root' });
    expect(formatDid({ scope: 'a', name: 'b' })).toBe('a:b');
    expect(validateDid({ scope: 'a', name: 'b' })).toEqual({ scope: 'a', name: 'b' });
  });
  it('rejects a missing scope separator, bad scopes and bad names', () => {
    expect(errorOf(() => parseDid('nocolon')).message).toMatch(/expected "scope:name"/);
    expect(errorOf(() => parseDid(':name')).message).toMatch(/scope name must not be empty/);
    expect(errorOf(() => parseDid('scope:')).message).toMatch(/DID name must not be empty/);
    expect(errorOf(() => parseDid('scope:a:b')).message).toMatch(/must not contain ':'/);
    expect(errorOf(() => parseDid('s p:a')).message).toMatch(/only letters/);
  });
});
