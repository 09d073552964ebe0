/** Tokens from the experiments' identity providers (INDIGO IAM, Keycloak, CILogon...): see docs/oidc.md. */
export interface OidcConfig {
  /** Issuers whose JWT access tokens Tarn accepts, exactly as they write `iss` (TARN_OIDC_ISSUERS, comma-separated). */
  issuers: string[];
  /** The audience a token must carry to be accepted by Tarn (TARN_OIDC_AUDIENCE). */
  audience: string;
  /** How clients ask a provider for that audience: `audience` (INDIGO IAM, Keycloak) or `resource` (RFC 8707). */
  audienceParameter: 'audience' | 'resource';
  /** Clock difference tolerated on exp, nbf and iat (TARN_OIDC_CLOCK_SKEW_SECONDS, 60, at most 300). */
  clockSkewSeconds: number;
  /** Claims that carry the user's groups, first found wins (TARN_OIDC_GROUPS_CLAIM: `wlcg.groups,groups`). */
  groupsClaims: string[];
  /** The public client `tarn login --oidc` uses (TARN_OIDC_CLI_CLIENT_ID). */
  cliClientId: string | undefined;
  /** Scopes `tarn login --oidc` asks for (TARN_OIDC_SCOPES). */
  scopes: string;
  /** Least time between two fetches of an issuer's keys, against floods of unknown key ids (TARN_OIDC_JWKS_COOLDOWN_SECONDS, 30). */
  jwksCooldownSeconds: number;
  /** The web UI's "Log in with <provider>", when TARN_OIDC_WEB_CLIENT_ID names its client. */
  web: OidcWebLoginConfig | undefined;
}

/** The web UI's login through an identity provider: the authorization code flow with PKCE, done by the API. */
export interface OidcWebLoginConfig {
  /** One of the issuers (TARN_OIDC_WEB_ISSUER; the first by default). */
  issuer: string;
  /** The web UI's client at the provider, whose redirect URI is <Tarn's URL>/auth/oidc/callback (TARN_OIDC_WEB_CLIENT_ID). */
  clientId: string;
  /** Its secret, for a confidential client (TARN_OIDC_WEB_CLIENT_SECRET); a public client relies on PKCE alone. */
  clientSecret: string | undefined;
  /** The provider's name on the login button (TARN_OIDC_WEB_PROVIDER_NAME; the issuer's host by default). */
  name: string;
  /** Scopes asked for: TARN_OIDC_SCOPES without offline_access (a browser session needs no refresh token). */
  scopes: string;
}

/** What clients are told about logging in with an identity provider (GET /auth/oidc/configuration): nothing secret. */
export interface OidcConfigurationWire {
  issuers: string[];
  audience: string;
  audience_parameter: 'audience' | 'resource';
  client_id: string | null;
  scopes: string;
  groups_claims: string[];
  /** The provider of the web UI's login button, or null when the web UI logs in with passwords only. */
  web_login: { issuer: string; name: string } | null;
}

export function oidcConfigurationWire(oidc: OidcConfig): OidcConfigurationWire {
  return {
    issuers: oidc.issuers,
    audience: oidc.audience,
    audience_parameter: oidc.audienceParameter,
    client_id: oidc.cliClientId ?? null,
    scopes: oidc.scopes,
    groups_claims: oidc.groupsClaims,
    web_login: oidc.web ? { issuer: oidc.web.issuer, name: oidc.web.name } : null,
  };
}

/** `aud` values that mean "any service": a token carrying one is never Tarn's, and Tarn never asks for one. */
export const WILDCARD_AUDIENCES: readonly string[] = ['*', 'https://wlcg.cern.ch/jwt/v1/any'];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An issuer URL: https, or http on this machine only (a provider for development or tests). */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `'${issuer}' is not a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return `'${issuer}' must be an https URL (http only on 127.0.0.1 or localhost)`;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    problems.push(`${name}=${raw} must be whole seconds from 0 to ${max}`);
    return fallback;
  }
  return value;
}

/** The OIDC settings, or undefined when Tarn accepts no OIDC tokens (TARN_OIDC_ISSUERS unset). */
export function loadOidcConfig(env: NodeJS.ProcessEnv, problems: string[]): OidcConfig | undefined {
  const issuers = (env.TARN_OIDC_ISSUERS ?? '').split(',').map((i) => i.trim()).filter(Boolean);
  if (issuers.length === 0) {
    for (const name of ['TARN_OIDC_AUDIENCE', 'TARN_OIDC_WEB_CLIENT_ID']) {
      if (env[name]) problems.push(`${name} is set but TARN_OIDC_ISSUERS is not: name the issuers whose tokens Tarn accepts`);
    }
    return undefined;
  }
  for (const issuer of issuers) {
    const problem = issuerProblem(issuer);
    if (problem) problems.push(`TARN_OIDC_ISSUERS: ${problem}`);
  }
  const audience = (env.TARN_OIDC_AUDIENCE ?? '').trim();
  if (!audience) problems.push('TARN_OIDC_AUDIENCE must name the audience of tokens for Tarn (e.g. https://tarn.example.org)');
  else if (WILDCARD_AUDIENCES.includes(audience)) problems.push(`TARN_OIDC_AUDIENCE may not be the wildcard audience '${audience}': give Tarn an audience of its own`);
  const audienceParameter = env.TARN_OIDC_AUDIENCE_PARAMETER || 'audience';
  if (audienceParameter !== 'audience' && audienceParameter !== 'resource') {
    problems.push(`TARN_OIDC_AUDIENCE_PARAMETER must be 'audience' or 'resource', got '${audienceParameter}'`);
  }
  const groupsClaims = (env.TARN_OIDC_GROUPS_CLAIM ?? 'wlcg.groups,groups').split(',').map((c) => c.trim()).filter(Boolean);
  const scopes = env.TARN_OIDC_SCOPES || 'openid offline_access wlcg.groups';
  return {
    issuers,
    audience,
    audienceParameter: audienceParameter as OidcConfig['audienceParameter'],
    clockSkewSeconds: seconds(env, 'TARN_OIDC_CLOCK_SKEW_SECONDS', 60, 300, problems),
    groupsClaims,
    cliClientId: env.TARN_OIDC_CLI_CLIENT_ID || undefined,
    scopes,
    jwksCooldownSeconds: seconds(env, 'TARN_OIDC_JWKS_COOLDOWN_SECONDS', 30, 3600, problems),
    web: loadWebLogin(env, issuers, scopes, problems),
  };
}

function loadWebLogin(env: NodeJS.ProcessEnv, issuers: string[], scopes: string, problems: string[]): OidcWebLoginConfig | undefined {
  const clientId = (env.TARN_OIDC_WEB_CLIENT_ID ?? '').trim();
  if (!clientId) {
    for (const name of ['TARN_OIDC_WEB_CLIENT_SECRET', 'TARN_OIDC_WEB_ISSUER']) {
      if (env[name]) problems.push(`${name} is set but TARN_OIDC_WEB_CLIENT_ID is not: name the web UI's client at the identity provider`);
    }
    return undefined;
  }
  const issuer = (env.TARN_OIDC_WEB_ISSUER ?? '').trim() || issuers[0];
  if (!issuers.includes(issuer)) problems.push(`TARN_OIDC_WEB_ISSUER '${issuer}' is not one of TARN_OIDC_ISSUERS (${issuers.join(', ')})`);
  const words = scopes.split(/\s+/).filter((s) => s && s !== 'offline_access');
  return {
    issuer,
    clientId,
    clientSecret: env.TARN_OIDC_WEB_CLIENT_SECRET || undefined,
    name: (env.TARN_OIDC_WEB_PROVIDER_NAME ?? '').trim() || hostOf(issuer),
    scopes: (words.includes('openid') ? words : ['openid', ...words]).join(' '),
  };
}

function hostOf(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}
