import { needsRenewal } from './api-client.js';

describe('needsRenewal', () => {
  const token = (lifetimeMs: number, leftMs: number, now: number) => ({
    url: 'http://t',
    account: 'jdoe',
    username: 'oidc',
    token: 'x',
    obtainedAt: new Date(now - (lifetimeMs - leftMs)).toISOString(),
    expiresAt: new Date(now + leftMs).toISOString(),
  });
  const now = Date.parse('2026-11-22T04:20:00Z');

  it('renews an hour-long token in its last minute, and a short-lived one in its last quarter', () => {
    expect(needsRenewal(token(3600_000, 61_000, now), now)).toBe(false);
    expect(needsRenewal(token(3600_000, 59_000, now), now)).toBe(true);
    expect(needsRenewal(token(20_000, 6_000, now), now)).toBe(false);
    expect(needsRenewal(token(20_000, 4_000, now), now)).toBe(true);
    expect(needsRenewal(token(20_000, -1, now), now)).toBe(true);
  });

  it('treats a token cached without its start as an hour-long one', () => {
    const { obtainedAt: _, ...old } = token(3600_000, 30_000, now);
    expect(needsRenewal(old, now)).toBe(true);
    expect(needsRenewal({ ...old, expiresAt: new Date(now + 120_000).toISOString() }, now)).toBe(false);
  });
});
