import { webUiPath } from './oidc-web-login.js';

describe('the page a login through the identity provider returns to', () => {
  it('is a page of the web UI', () => {
    for (const path of ['/ui', '/ui/', '/ui/rules?state=STUCK&account=jdoe', '/ui/dids/exp.raw/run_0001.fits']) expect(webUiPath(path)).toBe(path);
  });

  it('is never another site, another part of Tarn, or something that is not a path', () => {
    const elsewhere = [
      'https://evil.example.org/ui/',
      '//evil.example.org/ui',
      '/ui//evil.example.org',
      '/ui/\\\\evil.example.org',
      '/uievil',
      '/accounts/root',
      '/ui/<script>',
      '/ui/ spaced',
      'ui/',
      '',
      `/ui/${'a'.repeat(1100)}`,
      undefined,
      ['/ui/a', '/ui/b'],
    ];
    for (const next of elsewhere) expect([next, webUiPath(next)]).toEqual([next, '/ui/']);
  });
});
