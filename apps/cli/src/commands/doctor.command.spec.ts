import { CliError, ExitCode } from '../errors.js';
import { findingLine, serverFailure } from './doctor.command.js';

describe('tarn doctor lines', () => {
  it('prints one line per finding, naming its fix, whatever the messages hold', () => {
    expect(
      findingLine({ check: 'storage', severity: 'error', subject: 'SITE_A https://dav.site-a.org:443', what: 'write failed: refused.\nTry later.', fix: 'check the door.' }),
    ).toBe('ERROR storage: SITE_A https://dav.site-a.org:443: write failed: refused. Try later. Fix: check the door.');
    expect(findingLine({ check: 'clocks', severity: 'warning', subject: null, what: 'off by 9 s', fix: 'run chrony' })).toBe('WARNING clocks: off by 9 s. Fix: run chrony.');
  });

  it("says why the server's checks could not run", () => {
    const of = (exceptionClass: string | undefined, code: (typeof ExitCode)[keyof typeof ExitCode]) => serverFailure(new CliError('Asking Tarn: it failed.', code, exceptionClass), 'ops');
    expect(of('AccessDenied', ExitCode.AUTH)).toMatchObject({ check: 'config', severity: 'error', subject: 'ops', what: 'Asking Tarn: it failed', fix: expect.stringContaining('administrator') });
    expect(of('DatabaseUnavailable', ExitCode.FAILURE)).toMatchObject({ check: 'catalogue', severity: 'error', fix: expect.stringContaining('PostgreSQL') });
    expect(of('CannotAuthenticate', ExitCode.AUTH)).toMatchObject({ check: 'token', fix: expect.stringContaining('password') });
    expect(of(undefined, ExitCode.FAILURE)).toMatchObject({ check: 'config', fix: expect.stringContaining("API's log") });
  });
});
