import { timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';
import * as openid from 'openid-client';
import type { OidcConfig, OidcWebLoginConfig } from '@tarn/config';
import { Forbidden, InvalidInput, Transient } from '@tarn/domain';
import { discoverOpenIdProvider, openIdErrorText } from '@tarn/storage';

/**
 * The web UI's login through an identity provider (OpenID Connect authorization code flow with PKCE, done by the API
 * with openid-client): GET /auth/oidc/login sends the browser to the provider with a fresh state, nonce and PKCE
 * challenge, kept in a short-lived httpOnly cookie of this browser; GET /auth/oidc/callback takes the provider's
 * answer, checks its state against that cookie, exchanges the code at the provider's token endpoint (with the PKCE
 * verifier, and the client's secret for a confidential client), and checks the ID token's nonce.
 *
 * The cookie is SameSite=Lax because the provider sends the browser back with a top-level navigation from its own
 * site; it holds nothing secret beyond this browser, and a login started in one browser cannot be finished in another.
 */
export const LOGIN_COOKIE = 'tarn_oidc_login';
export const CALLBACK_PATH = '/auth/oidc/callback';
const LOGIN_COOKIE_PATH = '/auth/oidc';
/** How long a login at the provider may take. */
const LOGIN_SECONDS = 600;
const DEFAULT_NEXT = '/ui/';

/** What the browser keeps between the two steps. */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  /** The account asked for, if any. */
  account?: string;
  /** Where in the web UI to go once logged in. */
  next: string;
  redirectUri: string;
}

/** A page of the web UI to go to after the login: only paths under /ui, never another site. */
export function webUiPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 1024) return DEFAULT_NEXT;
  return /^\/ui(\/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$/.test(next) && !next.includes('//') ? next : DEFAULT_NEXT;
}

/**
 * Tarn's own address for the provider's redirect, as this browser reaches it (the provider accepts only the redirect
 * URIs registered for the client, so another Host cannot send the code elsewhere). Behind a proxy, TARN_TRUST_PROXY
 * makes the scheme and host the ones the browser used.
 */
function redirectUriOf(req: Request): string {
  return `${req.protocol}://${req.get('host')}${CALLBACK_PATH}`;
}

/** Where the provider sends the browser after a logout Tarn asked for: the web UI, as this browser reaches it. */
function postLogoutUriOf(req: Request): string {
  return `${req.protocol}://${req.get('host')}/ui/`;
}

function cookieOptions(req: Request, maxAge: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: LOGIN_COOKIE_PATH, maxAge };
}

function pendingLoginOf(req: Request): PendingLogin | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || !header.includes(LOGIN_COOKIE)) return undefined;
  const raw = parse(header)[LOGIN_COOKIE];
  if (!raw || raw.length > 4096) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingLogin>;
    const strings = [value.state, value.nonce, value.verifier, value.next, value.redirectUri];
    if (strings.some((s) => typeof s !== 'string') || (value.account !== undefined && typeof value.account !== 'string')) return undefined;
    return value as PendingLogin;
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The provider's configuration for the web UI's client, found once by discovery (again after a failure). */
export class OidcWebLogin {
  private configuration: Promise<openid.Configuration> | undefined;

  constructor(
    private readonly oidc: OidcConfig,
    readonly web: OidcWebLoginConfig,
  ) {}

  private provider(): Promise<openid.Configuration> {
    this.configuration ??= discoverOpenIdProvider(this.web.issuer, this.web.clientId, this.web.clientSecret).catch((error) => {
      this.configuration = undefined;
      throw new Transient(`The identity provider '${this.web.issuer}' cannot be reached (${openIdErrorText(error)}): try again in a minute, or log in with a password.`);
    });
    return this.configuration;
  }

  /** How Tarn's audience is asked for, as `tarn login --oidc` asks for it. */
  private audience(): Record<string, string> {
    return { [this.oidc.audienceParameter]: this.oidc.audience };
  }

  /** Starts a login: the provider's authorization URL, with the state, nonce and verifier kept in a cookie of this browser. */
  async start(req: Request, res: Response, options: { account?: string; next?: unknown }): Promise<string> {
    const config = await this.provider();
    const pending: PendingLogin = {
      state: openid.randomState(),
      nonce: openid.randomNonce(),
      verifier: openid.randomPKCECodeVerifier(),
      ...(options.account ? { account: options.account } : {}),
      next: webUiPath(options.next),
      redirectUri: redirectUriOf(req),
    };
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: pending.redirectUri,
      scope: this.web.scopes,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      ...this.audience(),
    });
    res.append('Set-Cookie', serialize(LOGIN_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), cookieOptions(req, LOGIN_SECONDS)));
    return url.href;
  }

  /** Whether a session stands for an identity of this provider (`SUB=..., ISS=<issuer>`). */
  isIdentityOf(identity: string | undefined): boolean {
    return identity !== undefined && identity.endsWith(`, ISS=${this.web.issuer}`);
  }

  /**
   * The provider's logout page for the browser (OpenID Connect RP-initiated logout), coming back to the web UI; null
   * when the provider has none or cannot be reached (Tarn's session ends anyway).
   */
  async logoutUrl(req: Request): Promise<string | null> {
    const config = await this.provider().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return null;
    return openid.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutUriOf(req) }).href;
  }

  /**
   * Finishes a login: the provider's answer must carry the state this browser's login started with; the code is
   * exchanged once, server-side, and the ID token's nonce checked. The login cookie is cleared whatever happens.
   */
  async finish(req: Request, res: Response): Promise<{ accessToken: string; subject: string; pending: PendingLogin }> {
    const pending = pendingLoginOf(req);
    res.append('Set-Cookie', serialize(LOGIN_COOKIE, '', cookieOptions(req, 0)));
    if (!pending) {
      throw new InvalidInput(
        'No login through the identity provider is waiting in this browser (it was finished already, took longer than 10 minutes, or was started elsewhere): start again from the web UI.',
      );
    }
    const query = new URL(req.originalUrl, 'http://tarn.invalid').searchParams;
    const state = query.get('state');
    if (state === null || !sameText(state, pending.state)) {
      throw new InvalidInput("The identity provider's answer does not belong to the login this browser started (its state differs): start again from the web UI.");
    }
    const error = query.get('error');
    if (error !== null) {
      const description = query.get('error_description');
      throw new Forbidden(`The identity provider '${this.web.issuer}' did not log you in (${error}${description ? `: ${description}` : ''}).`, {
        rucioClass: 'CannotAuthenticate',
      });
    }
    const config = await this.provider();
    const answer = new URL(pending.redirectUri);
    answer.search = query.toString();
    let tokens: Awaited<ReturnType<typeof openid.authorizationCodeGrant>>;
    try {
      tokens = await openid.authorizationCodeGrant(
        config,
        answer,
        { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true },
        this.audience(),
      );
    } catch (failure) {
      const refused = failure instanceof openid.ResponseBodyError || failure instanceof openid.AuthorizationResponseError || failure instanceof openid.ClientError;
      if (!refused) throw new Transient(`The identity provider '${this.web.issuer}' could not be asked for the login's tokens (${openIdErrorText(failure)}): try again.`);
      throw new Forbidden(`The identity provider '${this.web.issuer}' refused the login (${openIdErrorText(failure)}): start again from the web UI.`, {
        rucioClass: 'CannotAuthenticate',
      });
    }
    const subject = tokens.claims()?.sub;
    if (!subject) throw new Forbidden(`The identity provider '${this.web.issuer}' sent no ID token naming the user: the login is refused.`, { rucioClass: 'CannotAuthenticate' });
    return { accessToken: tokens.access_token, subject, pending };
  }
}
