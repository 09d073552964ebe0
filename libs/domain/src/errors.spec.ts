import { Conflict, Duplicate, Forbidden, InvalidInput, isTarnError, NotFound, QuotaExceeded, TarnError, Throttled, Transient } from './errors.js';

describe('errors', () => {
  it('gives every class a code and a default Rucio class', () => {
    const cases: Array<[TarnError, string, string]> = [
      [new NotFound('x'), 'NOT_FOUND', 'DataIdentifierNotFound'],
      [new Duplicate('x'), 'DUPLICATE', 'Duplicate'],
      [new InvalidInput('x'), 'INVALID_INPUT', 'InvalidObject'],
      [new Forbidden('x'), 'FORBIDDEN', 'AccessDenied'],
      [new QuotaExceeded('x'), 'QUOTA_EXCEEDED', 'InsufficientAccountLimit'],
      [new Conflict('x'), 'CONFLICT', 'UnsupportedOperation'],
      [new Transient('x'), 'TRANSIENT', 'ServiceUnavailable'],
      [new Throttled('x', 60), 'THROTTLED', 'CannotAuthenticate'],
    ];
    for (const [error, code, rucioClass] of cases) {
      expect(error).toBeInstanceOf(TarnError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.rucioClass).toBe(rucioClass);
      expect(error.name).toBe(error.constructor.name);
      expect(isTarnError(error)).toBe(true);
    }
    expect(isTarnError(new Error('plain'))).toBe(false);
  });

  it('takes the Rucio class, details and cause from options', () => {
    const cause = new Error('low level');
    const error = new InvalidInput('bad expression', { rucioClass: 'InvalidRSEExpression', details: { position: 3 }, cause });
    expect(error.rucioClass).toBe('InvalidRSEExpression');
    expect(error.details).toEqual({ position: 3 });
    expect(error.cause).toBe(cause);
    expect(error.toWire()).toEqual({ ExceptionClass: 'InvalidRSEExpression', ExceptionMessage: 'bad expression' });
  });

  it('names the object and what to do in factory messages', () => {
    const did = NotFound.did('user.jdoe', 'file.root');
    expect(did.rucioClass).toBe('DataIdentifierNotFound');
    expect(did.message).toContain('user.jdoe:file.root');
    expect(NotFound.rse('SITE_A')).toMatchObject({ rucioClass: 'RSENotFound', details: { rse: 'SITE_A' } });
    expect(NotFound.rule('abc').message).toContain('abc');
    expect(NotFound.rule('abc').rucioClass).toBe('RuleNotFound');
    expect(NotFound.account('jdoe').rucioClass).toBe('AccountNotFound');
    expect(NotFound.scope('user.jdoe').rucioClass).toBe('ScopeNotFound');
    expect(Duplicate.did('s', 'n').rucioClass).toBe('DataIdentifierAlreadyExists');
    expect(Duplicate.rse('SITE_A').rucioClass).toBe('Duplicate');
    const rule = Duplicate.rule('s', 'n', 'jdoe', 'QOS=SAFE', 2);
    expect(rule.rucioClass).toBe('DuplicateRule');
    expect(rule.message).toMatch(/2 copies of s:n on 'QOS=SAFE'/);
  });
});
