import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';
import { Forbidden } from '@tarn/domain';

/**
 * The web UI's session: the same Tarn token a client gets from GET /auth/userpass, kept in an httpOnly cookie that
 * page scripts cannot read, SameSite=Strict so that no other site's page makes the browser send it.
 *
 * A request that authenticates with the cookie and changes something (any method but GET and HEAD) must also carry
 * the header X-Tarn-CSRF with the session's CSRF token: an HMAC of the token, which only a page that could read
 * GET /auth/session (same origin) knows. A forged form or fetch from another origin has the cookie at most, never the
 * header, so it is refused. Clients that send the token in a header (the CLI, the stock Rucio client) are unaffected.
 */
export const SESSION_COOKIE = 'tarn_session';
export const CSRF_HEADER = 'x-tarn-csrf';

/** How long a web UI session lasts: a working day. */
export const SESSION_LIFETIME_SECONDS = 8 * 3600;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Headers = Record<string, string | string[] | undefined>;

/** The token in the web UI's session cookie, if the request has one. */
export function sessionTokenOf(headers: Headers): string | undefined {
  const header = headers.cookie;
  if (typeof header !== 'string' || !header.includes(SESSION_COOKIE)) return undefined;
  const value = parse(header)[SESSION_COOKIE];
  return value ? value : undefined;
}

/** A request's token: X-Rucio-Auth-Token, else Authorization: Bearer, else the web UI's session cookie. */
export function requestTokenOf(headers: Headers): { token: string; fromCookie: boolean } | undefined {
  const header = headers['x-rucio-auth-token'];
  if (typeof header === 'string' && header) return { token: header, fromCookie: false };
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) return { token: authorization.slice(7).trim(), fromCookie: false };
  const session = sessionTokenOf(headers);
  return session === undefined ? undefined : { token: session, fromCookie: true };
}

/** The CSRF token of a session: derived from its token, so it needs no storage and dies with the session. */
export function csrfTokenOf(token: string): string {
  return createHmac('sha256', token).update('tarn-csrf-v1').digest('base64url');
}

/** Refuses a state-changing request authenticated by the session cookie without the session's CSRF token. */
export function assertCsrf(method: string, path: string, headers: Headers, token: string): void {
  if (SAFE_METHODS.has(method.toUpperCase())) return;
  const given = headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenOf(token));
  if (typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), expected)) return;
  throw new Forbidden(
    `${method} ${path} was sent with the web UI's session cookie but without its CSRF token: a page of Tarn's web UI sends ` +
      `it as the X-Tarn-CSRF header (GET /auth/session gives it); other clients send their token as X-Rucio-Auth-Token.`,
  );
}

function cookieOptions(req: Request, maxAgeSeconds: number) {
  // Secure whenever the browser reached Tarn over HTTPS (req.secure believes X-Forwarded-Proto only from TARN_TRUST_PROXY).
  return { httpOnly: true, sameSite: 'strict' as const, secure: req.secure, path: '/', maxAge: maxAgeSeconds };
}

export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  res.append('Set-Cookie', serialize(SESSION_COOKIE, token, cookieOptions(req, maxAge)));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', serialize(SESSION_COOKIE, '', cookieOptions(req, 0)));
}
