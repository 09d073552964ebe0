import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as openid from 'openid-client';
import type { OidcConfigurationWire } from '@tarn/config';
import { discoverOpenIdProvider, openIdErrorText } from '@tarn/storage';
import { CliError, ExitCode } from './errors.js';
import type { CachedToken, OidcSession } from './token-cache.js';


export type TokenAnswer = { access_token: string; refresh_token?: string; expires_in?: number };

/** How long the browser login waits for the provider to send the browser back. */
const BROWSER_TIMEOUT_MS = 5 * 60_000;

const configurations = new Map<string, Promise<openid.Configuration>>();

function provider(issuer: string, clientId: string): Promise<openid.Configuration> {
  const key = `${issuer}\n${clientId}`;
  let configuration = configurations.get(key);
  if (!configuration) {
    configuration = discoverOpenIdProvider(issuer, clientId).catch((error) => {
      configurations.delete(key);
      throw new CliError(`Cannot reach the identity provider '${issuer}' (${openIdErrorText(error)}): check the network, or the issuer Tarn names.`, ExitCode.UNREACHABLE);
    });
    configurations.set(key, configuration);
  }
  return configuration;
}

/** The session `tarn login --oidc` keeps: Tarn's settings, with the issuer and client chosen. */
export function oidcSession(settings: OidcConfigurationWire, choice: { issuer?: string; clientId?: string }): OidcSession {
  const issuer = choice.issuer ?? (settings.issuers.length === 1 ? settings.issuers[0] : undefined);
  if (!issuer) {
    throw new CliError(`Tarn accepts tokens of several identity providers (${settings.issuers.join(', ')}): choose one with --issuer.`, ExitCode.USAGE);
  }
  if (!settings.issuers.includes(issuer)) {
    throw new CliError(`Tarn does not accept tokens of '${issuer}': it accepts ${settings.issuers.join(', ')}.`, ExitCode.USAGE);
  }
  const clientId = choice.clientId ?? settings.client_id ?? undefined;
  if (!clientId) {
    throw new CliError('Tarn names no OIDC client for the command line (TARN_OIDC_CLI_CLIENT_ID): give the client registered at your provider with --client-id.', ExitCode.USAGE);
  }
  return { issuer, clientId, audience: settings.audience, audienceParameter: settings.audience_parameter, scopes: settings.scopes };
}

const audienceOf = (session: OidcSession): Record<string, string> => ({ [session.audienceParameter]: session.audience });

function refused(session: OidcSession, what: string, error: unknown): CliError {
  return new CliError(`The identity provider '${session.issuer}' refused ${what} (${openIdErrorText(error)}).`, ExitCode.AUTH);
}

/**
 * RFC 8628, for nodes without a browser: shows where to go and which code to enter, then waits (polling at the
 * interval the provider asks for) until the user approved the login somewhere else.
 */
export async function deviceLogin(session: OidcSession, tell: (text: string) => void, signal?: AbortSignal): Promise<TokenAnswer> {
  const config = await provider(session.issuer, session.clientId);
  let handle: openid.DeviceAuthorizationResponse;
  try {
    handle = await openid.initiateDeviceAuthorization(config, { scope: session.scopes, ...audienceOf(session) });
  } catch (error) {
    throw refused(session, 'to start a device login', error);
  }
  const where = handle.verification_uri_complete ?? handle.verification_uri;
  tell(`To log in, open ${where} in a browser${handle.verification_uri_complete ? '' : ` and enter the code ${handle.user_code}`} (code ${handle.user_code}, valid for ${Math.round(handle.expires_in / 60)} min).`);
  try {
    return await openid.pollDeviceAuthorizationGrant(config, handle, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw new CliError('Interrupted while waiting for the device login.', ExitCode.INTERRUPTED);
    throw refused(session, 'the device login', error);
  }
}

/**
 * The authorization code flow with PKCE, for a desktop: the browser is sent back to a one-time listener on
 * 127.0.0.1 (RFC 8252), which takes the code and hands it over with the PKCE verifier.
 */
export async function browserLogin(session: OidcSession, tell: (text: string) => void, signal?: AbortSignal): Promise<TokenAnswer> {
  const config = await provider(session.issuer, session.clientId);
  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  let settle!: { resolve: (url: URL) => void; reject: (error: Error) => void };
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const ok = url.searchParams.get('state') === state;
    res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'Logged in to Tarn: you may close this window.' : 'This answer does not belong to the login tarn is waiting for.');
    if (ok) settle.resolve(new URL(url.pathname + url.search, redirectUri));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const timer = setTimeout(() => settle.reject(new CliError('No answer from the browser login within 5 minutes.', ExitCode.TIMEOUT)), BROWSER_TIMEOUT_MS);
  const abort = () => settle.reject(new CliError('Interrupted while waiting for the browser login.', ExitCode.INTERRUPTED));
  signal?.addEventListener('abort', abort);
  try {
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: session.scopes,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...audienceOf(session),
    });
    tell(`To log in, open ${url.href} in a browser on this machine.`);
    const answer = await callback;
    try {
      return await openid.authorizationCodeGrant(config, answer, { pkceCodeVerifier: verifier, expectedState: state });
    } catch (error) {
      throw refused(session, 'the login', error);
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
    server.close();
  }
}

/** A new access token for a cached OIDC login, with its refresh token (the provider may rotate it). */
export async function renewOidcToken(token: CachedToken): Promise<CachedToken> {
  const session = token.oidc!;
  if (!session.refreshToken) {
    throw new CliError(`The token of account '${token.account}' at ${token.url} expired and the provider gave no refresh token: run 'tarn login --oidc' again.`, ExitCode.AUTH);
  }
  const config = await provider(session.issuer, session.clientId);
  let answer: TokenAnswer;
  try {
    answer = await openid.refreshTokenGrant(config, session.refreshToken, audienceOf(session));
  } catch (error) {
    const text = openIdErrorText(error);
    if (/invalid_grant/.test(text)) {
      throw new CliError(`The login of account '${token.account}' at '${session.issuer}' has ended (${text}): run 'tarn login --oidc' again.`, ExitCode.AUTH);
    }
    throw new CliError(`Cannot renew the token of account '${token.account}' at '${session.issuer}' (${text}).`, ExitCode.UNREACHABLE);
  }
  const obtainedAt = Date.now();
  return {
    ...token,
    token: answer.access_token,
    expiresAt: new Date(obtainedAt + (answer.expires_in ?? 300) * 1000).toISOString(),
    obtainedAt: new Date(obtainedAt).toISOString(),
    oidc: { ...session, refreshToken: answer.refresh_token ?? session.refreshToken },
  };
}

/** Revokes a refresh token at its provider (RFC 7009); false when the provider could not be asked. */
export async function revokeRefreshToken(session: OidcSession): Promise<boolean> {
  try {
    await openid.tokenRevocation(await provider(session.issuer, session.clientId), session.refreshToken!, { token_type_hint: 'refresh_token' });
    return true;
  } catch {
    return false;
  }
}
