import { createHash } from 'node:crypto';
import * as openid from 'openid-client';
import { WILDCARD_AUDIENCES } from '@tarn/config';
import { discoverOpenIdProvider, openIdErrorText } from './openid.js';

/** Bearer tokens for storage endpoints, each for one storage audience. */
export interface StorageTokenSource {
  /** A token whose audience is exactly `audience` (with `scope`, e.g. `storage.read:/ storage.modify:/`), valid for a while yet. */
  token(audience: string, scope?: string): Promise<string>;
  /** Forgets a token the storage refused, so that the next call gets a new one. */
  forget(audience: string, scope?: string): void;
}

/** Why no token could be had: `transient` when the provider could not be reached (retry later), else a refusal. */
export class StorageTokenError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'StorageTokenError';
  }
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const MARGIN_MS = 60_000;

/** Why an audience cannot be asked for, or undefined when it can. */
export function storageAudienceProblem(audience: unknown): string | undefined {
  if (typeof audience !== 'string' || audience.trim() === '') return 'the token audience is empty';
  if (/\s/.test(audience)) return `the token audience '${audience}' holds white space: give one audience`;
  if (WILDCARD_AUDIENCES.includes(audience)) return `the token audience '${audience}' admits a token at any storage: give the storage's own audience`;
  return undefined;
}

export interface TokenExchangeSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Tarn's own audience: the subject token of the exchange is a client-credentials token for it. */
  subjectAudience: string;
  /** How the provider is asked for an audience in the client-credentials request: `audience` or `resource`. */
  audienceParameter: 'audience' | 'resource';
}

interface Cached {
  token: string;
  expiresAt: number;
  obtainedAt: number;
}

const fresh = (cached: Cached | undefined, now = Date.now()): cached is Cached =>
  cached !== undefined && cached.expiresAt - Math.min(MARGIN_MS, (cached.expiresAt - cached.obtainedAt) / 4) > now;

function audiencesOf(token: string): string[] | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: unknown };
    return typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.map(String) : [];
  } catch {
    return undefined; // not a JWT: the provider vouches for it
  }
}

/**
 * Tokens by token exchange (RFC 8693): Tarn's own client gets a token for Tarn's audience (client credentials),
 * then trades it for a token of the storage's audience. Tokens are cached until a quarter of their life (at most a
 * minute) is left; a token the provider issued for another audience, or for any audience, is never used.
 */
export class TokenExchangeSource implements StorageTokenSource {
  private config: Promise<openid.Configuration> | undefined;
  private subject: Cached | undefined;
  private subjectPending: Promise<string> | undefined;
  private readonly tokens = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(readonly settings: TokenExchangeSettings) {}

  async token(audience: string, scope?: string): Promise<string> {
    const problem = storageAudienceProblem(audience);
    if (problem) throw new StorageTokenError(`Tarn asks for no such token: ${problem}.`, false);
    const key = `${audience}\n${scope ?? ''}`;
    const cached = this.tokens.get(key);
    if (fresh(cached)) return cached.token;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.exchange(audience, scope).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  forget(audience: string, scope?: string): void {
    this.tokens.delete(`${audience}\n${scope ?? ''}`);
  }

  private provider(): Promise<openid.Configuration> {
    this.config ??= discoverOpenIdProvider(this.settings.issuer, this.settings.clientId, this.settings.clientSecret).catch((error) => {
      this.config = undefined;
      throw new StorageTokenError(`the identity provider '${this.settings.issuer}' cannot be reached (${openIdErrorText(error)})`, true);
    });
    return this.config;
  }

  private async subjectToken(): Promise<string> {
    if (fresh(this.subject)) return this.subject.token;
    this.subjectPending ??= (async () => {
      const config = await this.provider();
      const obtainedAt = Date.now();
      const answer = await openid
        .clientCredentialsGrant(config, { [this.settings.audienceParameter]: this.settings.subjectAudience })
        .catch((error) => Promise.reject(this.failure(`a token of client '${this.settings.clientId}' for '${this.settings.subjectAudience}'`, error)));
      this.subject = { token: answer.access_token, obtainedAt, expiresAt: obtainedAt + (answer.expires_in ?? 300) * 1000 };
      return answer.access_token;
    })().finally(() => (this.subjectPending = undefined));
    return this.subjectPending;
  }

  private async exchange(audience: string, scope: string | undefined): Promise<string> {
    const subjectToken = await this.subjectToken();
    const config = await this.provider();
    const obtainedAt = Date.now();
    const answer = await openid
      .genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience,
        ...(scope ? { scope } : {}),
      })
      .catch((error) => Promise.reject(this.failure(`a token for the storage audience '${audience}' by token exchange`, error)));
    const audiences = audiencesOf(answer.access_token);
    if (audiences && (audiences.some((a) => WILDCARD_AUDIENCES.includes(a)) || !audiences.includes(audience))) {
      throw new StorageTokenError(
        `the identity provider '${this.settings.issuer}' answered the exchange for '${audience}' with a token for ${JSON.stringify(audiences)}: Tarn uses only tokens of the storage's own audience`,
        false,
      );
    }
    this.tokens.set(`${audience}\n${scope ?? ''}`, { token: answer.access_token, obtainedAt, expiresAt: obtainedAt + (answer.expires_in ?? 300) * 1000 });
    return answer.access_token;
  }

  private failure(what: string, error: unknown): StorageTokenError {
    if (error instanceof StorageTokenError) return error;
    const text = openIdErrorText(error);
    const refused = (error as { error?: string })?.error !== undefined || error instanceof openid.ResponseBodyError;
    return new StorageTokenError(`the identity provider '${this.settings.issuer}' ${refused ? 'refused' : 'could not be asked for'} ${what} (${text})`, !refused);
  }
}

const SOURCES = new Map<string, TokenExchangeSource>();

/**
 * The token source of this process's environment (TARN_OIDC_ISSUERS: the first issuer, or TARN_STORAGE_TOKEN_ISSUER;
 * TARN_OIDC_CLIENT_ID and TARN_OIDC_CLIENT_SECRET: Tarn's own confidential client; TARN_OIDC_AUDIENCE), one per
 * set of settings so that its tokens are shared by every storage of the process; undefined when not configured.
 */
export function storageTokenSourceFromEnv(env: Record<string, string | undefined>): TokenExchangeSource | undefined {
  const issuer = env.TARN_STORAGE_TOKEN_ISSUER || (env.TARN_OIDC_ISSUERS ?? '').split(',').map((i) => i.trim()).find(Boolean);
  const clientId = env.TARN_OIDC_CLIENT_ID;
  const clientSecret = env.TARN_OIDC_CLIENT_SECRET;
  const subjectAudience = env.TARN_OIDC_AUDIENCE;
  if (!issuer || !clientId || !clientSecret || !subjectAudience) return undefined;
  const settings: TokenExchangeSettings = {
    issuer,
    clientId,
    clientSecret,
    subjectAudience,
    audienceParameter: env.TARN_OIDC_AUDIENCE_PARAMETER === 'resource' ? 'resource' : 'audience',
  };
  const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
  let source = SOURCES.get(key);
  if (!source) {
    source = new TokenExchangeSource(settings);
    SOURCES.set(key, source);
  }
  return source;
}
