import * as jose from 'jose';
import { WILDCARD_AUDIENCES, type OidcConfig } from '@tarn/config';
import { Forbidden, Transient } from '@tarn/domain';

/** What Tarn learned from a verified access token. */
export interface VerifiedOidcToken {
  issuer: string;
  subject: string;
  /** Rucio's form of the identity: `SUB=<sub>, ISS=<iss>`. */
  identity: string;
  /** The user's groups as the provider put them in the token (the first configured groups claim present). */
  groups: string[];
  expiresAt: Date;
}

/** Asymmetric algorithms only: a token signed with a shared secret (HS*) or unsigned (none) is never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_GROUPS = 256;
const DISCOVERY_RETRY_MS = 5_000;
const HTTP_TIMEOUT_MS = 5_000;

export const oidcIdentity = (subject: string, issuer: string) => `SUB=${subject}, ISS=${issuer}`;

/** A token that looks like a JWT (three base64url parts); Tarn's own tokens never have dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function refused(message: string): Forbidden {
  return new Forbidden(message, { rucioClass: 'CannotAuthenticate' });
}

interface IssuerKeys {
  jwks: ReturnType<typeof jose.createRemoteJWKSet>;
}

/**
 * Verifies JWT access tokens of the configured issuers: the signature against the issuer's keys (found by OpenID
 * discovery, cached, fetched again when a token names a key id the cache lacks, at most once per cooldown), then
 * iss, aud, exp, nbf and iat with a bounded clock skew. Every refusal says what was wrong and what to do.
 */
export class OidcTokenVerifier {
  private readonly keys = new Map<string, Promise<IssuerKeys>>();
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly config: OidcConfig) {}

  async verify(token: string): Promise<VerifiedOidcToken> {
    if (token.length > MAX_TOKEN_LENGTH) throw refused(`The bearer token is longer than ${MAX_TOKEN_LENGTH} characters: it is not an access token Tarn accepts.`);
    let claimed: jose.JWTPayload;
    try {
      claimed = jose.decodeJwt(token);
    } catch {
      throw refused('The bearer token is not a readable JWT: send an access token from your identity provider, or log in again.');
    }
    const issuer = typeof claimed.iss === 'string' ? claimed.iss : undefined;
    if (!issuer || !this.config.issuers.includes(issuer)) {
      throw refused(
        `Tokens of issuer ${issuer ? `'${issuer}'` : '(none: the token has no iss)'} are not accepted here: Tarn accepts tokens of ${this.config.issuers.map((i) => `'${i}'`).join(', ')}.`,
      );
    }
    const { jwks } = await this.keysOf(issuer);
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, jwks, {
        issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockSkewSeconds,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw this.explain(error, claimed, issuer);
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (audiences.some((a) => WILDCARD_AUDIENCES.includes(a))) {
      throw refused(`The token is for any audience (${audiences.join(', ')}): Tarn accepts only tokens for its own audience '${this.config.audience}'.`);
    }
    const subject = String(payload.sub);
    return { issuer, subject, identity: oidcIdentity(subject, issuer), groups: this.groupsOf(payload), expiresAt: new Date(payload.exp! * 1000) };
  }

  private groupsOf(payload: jose.JWTPayload): string[] {
    for (const claim of this.config.groupsClaims) {
      const value = payload[claim];
      if (value === undefined || value === null) continue;
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
      return [...new Set(list.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 255))].slice(0, MAX_GROUPS);
    }
    return [];
  }

  private explain(error: unknown, claimed: jose.JWTPayload, issuer: string): Error {
    const skew = `${this.config.clockSkewSeconds} s of clock skew allowed`;
    if (error instanceof jose.errors.JWTExpired) {
      const at = typeof claimed.exp === 'number' ? new Date(claimed.exp * 1000).toISOString() : 'an unknown time';
      return refused(`The token expired at ${at} (${skew}): get a new one from '${issuer}' (tarn login --oidc renews it by itself).`);
    }
    if (error instanceof jose.errors.JWTClaimValidationFailed) {
      switch (error.claim) {
        case 'aud': {
          const aud = claimed.aud === undefined ? '(none)' : JSON.stringify(claimed.aud);
          return refused(`The token's audience ${aud} does not include Tarn's audience '${this.config.audience}': ask '${issuer}' for a token for '${this.config.audience}'.`);
        }
        case 'nbf':
          return refused(`The token is not valid before ${typeof claimed.nbf === 'number' ? new Date(claimed.nbf * 1000).toISOString() : '?'} (${skew}): check the clocks of Tarn and of '${issuer}'.`);
        case 'iat':
          return refused(`The token was issued in the future (${skew}): check the clocks of Tarn and of '${issuer}'.`);
        case 'exp':
        case 'sub':
          return refused(`The token has no ${error.claim} claim: Tarn accepts access tokens with an expiry and a subject.`);
        default:
          return refused(`The token's ${error.claim} claim is not acceptable (${error.reason}).`);
      }
    }
    if (error instanceof jose.errors.JWSSignatureVerificationFailed) {
      return refused(`The token's signature does not verify with the keys of '${issuer}': the token was altered, or not issued by '${issuer}'.`);
    }
    if (error instanceof jose.errors.JWKSNoMatchingKey) {
      return refused(
        `The token is signed with a key '${issuer}' does not publish (Tarn reads its keys again at most every ${this.config.jwksCooldownSeconds} s): it was not issued by '${issuer}', or its keys changed just now and a retry will pass.`,
      );
    }
    if (error instanceof jose.errors.JOSEAlgNotAllowed) {
      return refused(`The token's signature algorithm is not accepted: Tarn accepts ${ALGORITHMS.join(', ')}.`);
    }
    if (error instanceof jose.errors.JWKSMultipleMatchingKeys) return refused(`'${issuer}' publishes several keys that match the token's header: the token is refused.`);
    if (error instanceof jose.errors.JWTInvalid || error instanceof jose.errors.JWSInvalid) {
      return refused(`The token is not a valid signed JWT (${error.message}).`);
    }
    return this.unreachable(issuer, error);
  }

  private unreachable(issuer: string, error: unknown): Transient {
    this.failedAt.set(issuer, Date.now());
    this.keys.delete(issuer);
    return new Transient(`Cannot check the token: the keys of identity provider '${issuer}' cannot be fetched (${(error as Error)?.message ?? error}). Try again shortly.`);
  }

  private keysOf(issuer: string): Promise<IssuerKeys> {
    let keys = this.keys.get(issuer);
    if (!keys) {
      const failed = this.failedAt.get(issuer);
      if (failed !== undefined && Date.now() - failed < DISCOVERY_RETRY_MS) {
        return Promise.reject(new Transient(`Identity provider '${issuer}' could not be reached a moment ago; try again in a few seconds.`));
      }
      keys = this.discover(issuer);
      this.keys.set(issuer, keys);
      keys.catch(() => undefined);
    }
    return keys;
  }

  private async discover(issuer: string): Promise<IssuerKeys> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let metadata: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      metadata = (await response.json()) as typeof metadata;
    } catch (error) {
      throw this.unreachable(issuer, error);
    }
    if (metadata.issuer !== issuer) {
      throw this.unreachable(issuer, new Error(`its discovery document names the issuer ${JSON.stringify(metadata.issuer)}, not '${issuer}'`));
    }
    if (typeof metadata.jwks_uri !== 'string') throw this.unreachable(issuer, new Error('its discovery document has no jwks_uri'));
    return {
      jwks: jose.createRemoteJWKSet(new URL(metadata.jwks_uri), {
        cooldownDuration: this.config.jwksCooldownSeconds * 1000,
        cacheMaxAge: 10 * 60 * 1000,
        timeoutDuration: HTTP_TIMEOUT_MS,
      }),
    };
  }
}
