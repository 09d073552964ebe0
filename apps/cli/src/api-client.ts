import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { CliConfig } from './config.js';
import { CliError, ExitCode, exitCodeOfClass, oneLine } from './errors.js';
import { renewOidcToken, revokeRefreshToken } from './oidc-login.js';
import { type CachedToken, OIDC_USERNAME, type OidcSession, TokenCache } from './token-cache.js';

/** A token is renewed this long before it expires (at most; a quarter of its life for short-lived ones), so that a long command does not lose it half-way. */
const EXPIRY_MARGIN_MS = 60_000;

/** Whether a cached token is too close to its expiry to be sent. */
export function needsRenewal(token: CachedToken, now = Date.now()): boolean {
  const expires = Date.parse(token.expiresAt);
  const obtained = token.obtainedAt ? Date.parse(token.obtainedAt) : expires - 3600_000;
  const margin = Math.min(EXPIRY_MARGIN_MS, Math.max(0, (expires - obtained) / 4));
  return !(expires - margin > now);
}

function headerOf(response: AxiosResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : typeof value === 'string' ? value : undefined;
}

/** The Rucio error of an answer: {ExceptionClass, ExceptionMessage} in the body or the headers. */
export function apiError(response: AxiosResponse, what: string): CliError {
  let exceptionClass = headerOf(response, 'ExceptionClass');
  let message = headerOf(response, 'ExceptionMessage');
  const body = response.data;
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text) {
    try {
      const parsed = JSON.parse(text) as { ExceptionClass?: string; ExceptionMessage?: string };
      exceptionClass = parsed.ExceptionClass ?? exceptionClass;
      message = parsed.ExceptionMessage ?? message;
    } catch {
      // not JSON: keep the headers
    }
  }
  const code = exitCodeOfClass(exceptionClass, response.status);
  const detail = message ? oneLine(message) : `${response.status} ${response.statusText ?? ''}`.trim();
  return new CliError(`${what}: ${detail}${exceptionClass ? ` [${exceptionClass}]` : ''}`, code, exceptionClass);
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** What the request does, for error messages ("listing the replicas of user.jdoe:run1"). */
  what: string;
}

/** The REST client: Rucio's wire format, a cached token renewed by itself when it expires and a password is known. */
export class ApiClient {
  private readonly http: AxiosInstance;
  readonly tokens: TokenCache;
  private token: CachedToken | null = null;
  private renewing: Promise<CachedToken> | null = null;

  constructor(readonly config: CliConfig) {
    // No keep-alive: a CLI run makes few requests, and a reused socket the server just closed fails with ECONNRESET.
    this.http = axios.create({
      baseURL: config.url,
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: (d) => d,
      httpAgent: new HttpAgent({ keepAlive: false }),
      httpsAgent: new HttpsAgent({ keepAlive: false }),
    });
    this.tokens = new TokenCache(config.tokenDir);
  }

  /** The account given (--account, TARN_ACCOUNT, config file), else the one of the last login at this URL. */
  get account(): string {
    const account = this.config.account ?? this.tokens.remembered(this.config.url)?.account;
    if (!account) {
      throw new CliError('No account given: pass --account NAME, set TARN_ACCOUNT, put "account" in the config file, or log in first (tarn login).', ExitCode.USAGE);
    }
    return account;
  }

  private get username(): string {
    return this.config.username ?? (this.config.account ? undefined : this.tokens.remembered(this.config.url)?.username) ?? this.account;
  }

  /** The cached token of this account: of its userpass login, else of its OIDC login. */
  private cachedToken(): CachedToken | null {
    return this.tokens.read(this.config.url, this.account, this.username) ?? this.tokens.read(this.config.url, this.account, OIDC_USERNAME);
  }

  /** Logs in with the password and caches the token; answers where it is cached. */
  async login(password = this.config.password): Promise<{ token: CachedToken; path: string }> {
    if (!password) {
      throw new CliError(
        `No password for account '${this.account}': pass --password, set TARN_PASSWORD, or put "password" in the config file (${this.config.configPath}).`,
        ExitCode.AUTH,
      );
    }
    const response = await this.send('GET', '/auth/userpass', {
      what: `Logging in as account '${this.account}' (username '${this.username}') at ${this.config.url}`,
      headers: { 'X-Rucio-Account': this.account, 'X-Rucio-Username': this.username, 'X-Rucio-Password': password },
    });
    if (response.status !== 200) {
      const error = apiError(response, `Logging in as account '${this.account}' (username '${this.username}') at ${this.config.url} failed`);
      if (error.exitCode === ExitCode.AUTH) {
        throw new CliError(`${error.message}. Check the account, username and password (--account, --username, --password).`, ExitCode.AUTH, error.exceptionClass);
      }
      throw error;
    }
    const tokenValue = headerOf(response, 'X-Rucio-Auth-Token');
    const expires = headerOf(response, 'X-Rucio-Auth-Token-Expires');
    if (!tokenValue) throw new CliError(`${this.config.url} answered the login without a token: is it a Tarn (or Rucio) server?`);
    const expiresAt = expires && !Number.isNaN(Date.parse(expires)) ? new Date(Date.parse(expires)) : new Date(Date.now() + 3600_000);
    const token: CachedToken = {
      url: this.config.url,
      account: this.account,
      username: this.username,
      token: tokenValue,
      expiresAt: expiresAt.toISOString(),
      obtainedAt: new Date().toISOString(),
    };
    const path = this.tokens.write(token);
    this.tokens.remember(token.url, token.account, token.username);
    this.token = token;
    return { token, path };
  }

  /**
   * Keeps an access token of an identity provider (and its refresh token) after `tarn login --oidc`: Tarn says which
   * account it acts as (the one given with --account, else the identity's only or default account).
   */
  async adoptOidcLogin(tokens: { access_token: string; refresh_token?: string; expires_in?: number }, session: OidcSession): Promise<{ token: CachedToken; path: string }> {
    const requested = this.config.account;
    const response = await this.send('GET', '/auth/validate', {
      what: `Checking the token of '${session.issuer}' at ${this.config.url}`,
      headers: { 'X-Rucio-Auth-Token': tokens.access_token, ...(requested ? { 'X-Rucio-Account': requested } : {}) },
    });
    if (response.status !== 200) throw apiError(response, `Tarn at ${this.config.url} does not accept the token of '${session.issuer}'`);
    const account = String((JSON.parse(String(response.data)) as { account: string }).account);
    const obtainedAt = Date.now();
    const token: CachedToken = {
      url: this.config.url,
      account,
      username: OIDC_USERNAME,
      token: tokens.access_token,
      expiresAt: new Date(obtainedAt + (tokens.expires_in ?? 300) * 1000).toISOString(),
      obtainedAt: new Date(obtainedAt).toISOString(),
      oidc: session,
    };
    const path = this.tokens.write(token);
    this.tokens.remember(token.url, account, OIDC_USERNAME);
    this.token = token;
    return { token, path };
  }

  /** Forgets the cached tokens; the refresh token of an OIDC login is revoked at the provider first (when it can be reached). */
  async logout(): Promise<{ revoked: boolean }> {
    const oidc = this.tokens.read(this.config.url, this.account, OIDC_USERNAME)?.oidc;
    const revoked = oidc?.refreshToken ? await revokeRefreshToken(oidc) : false;
    this.tokens.remove(this.config.url, this.account, this.username);
    this.tokens.remove(this.config.url, this.account, OIDC_USERNAME);
    return { revoked };
  }

  /** The cached login this client would send (of the account's userpass login, else its OIDC login), if any. */
  cachedLogin(): CachedToken | null {
    return this.cachedToken();
  }

  /** Whether a token that expires can be renewed without the user: a password is known, or an OIDC refresh token. */
  canRenew(token: CachedToken | null): boolean {
    return token?.oidc ? token.oidc.refreshToken !== undefined : this.config.password !== undefined;
  }

  /** Unauthenticated GET answering the response whatever its status (its headers too); throws only when Tarn cannot be reached. */
  publicGet(path: string, what: string): Promise<AxiosResponse> {
    return this.send('GET', path, { what });
  }

  /** Unauthenticated GET of a JSON document (public routes). */
  async publicJson<T>(path: string, what: string): Promise<T> {
    const response = await this.send('GET', path, { what });
    if (response.status !== 200) throw apiError(response, what);
    return JSON.parse(String(response.data)) as T;
  }

  /**
   * Renews the OIDC access token with its refresh token, once at a time in this process and across processes (the
   * token file's lock): a token another process renewed meanwhile is taken as it is.
   */
  private renewOidc(stale: CachedToken): Promise<CachedToken> {
    this.renewing ??= this.tokens
      .locked(stale.url, stale.account, stale.username, async () => {
        const onDisk = this.tokens.read(stale.url, stale.account, stale.username);
        if (onDisk?.oidc && onDisk.token !== stale.token && !needsRenewal(onDisk)) return onDisk;
        const renewed = await renewOidcToken(onDisk?.oidc ? onDisk : stale);
        this.tokens.write(renewed);
        return renewed;
      })
      .finally(() => (this.renewing = null));
    return this.renewing.then((token) => (this.token = token));
  }

  private async currentToken(): Promise<string> {
    this.token ??= this.cachedToken();
    if (this.token?.oidc) return needsRenewal(this.token) ? (await this.renewOidc(this.token)).token : this.token.token;
    if (this.token && !needsRenewal(this.token)) return this.token.token;
    if (this.config.password) return (await this.login()).token.token;
    // A URL that leads nowhere is the problem to report, not the missing login.
    await this.send('GET', '/ping', { what: `Reaching Tarn at ${this.config.url} as account '${this.account}'` });
    if (this.token) {
      throw new CliError(
        `The login token of account '${this.account}' at ${this.config.url} expired at ${this.token.expiresAt}: run 'tarn login' again (or set TARN_PASSWORD so that tarn renews it).`,
        ExitCode.AUTH,
      );
    }
    throw new CliError(`Not logged in as account '${this.account}' at ${this.config.url}: run 'tarn login' first (or set TARN_PASSWORD).`, ExitCode.AUTH);
  }

  private async send(method: Method, path: string, options: RequestOptions, stream = false, attempt = 1): Promise<AxiosResponse> {
    try {
      return await this.http.request({
        method,
        url: path,
        params: options.query,
        data: options.body === undefined ? undefined : JSON.stringify(options.body),
        headers: { ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...options.headers },
        responseType: stream ? 'stream' : 'text',
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ECONNRESET' && attempt < 3) return this.send(method, path, options, stream, attempt + 1);
      throw new CliError(
        `${options.what}: cannot reach Tarn at ${this.config.url} (${code ?? (error as Error).message}). Check that it runs and the URL (--url, TARN_URL).`,
        ExitCode.UNREACHABLE,
      );
    }
  }

  /** An authenticated request; a rejected token is renewed once (with the refresh token of an OIDC login, or the password). */
  async request(method: Method, path: string, options: RequestOptions, stream = false): Promise<AxiosResponse> {
    const attempt = async () => {
      const token = await this.currentToken();
      // An OIDC identity may map to several accounts: name the one this login acts as.
      const account: Record<string, string> = this.token?.oidc ? { 'X-Rucio-Account': this.token.account } : {};
      return this.send(method, path, { ...options, headers: { ...options.headers, ...account, 'X-Rucio-Auth-Token': token } }, stream);
    };
    let response = await attempt();
    const renewable = this.token?.oidc?.refreshToken !== undefined || this.config.password !== undefined;
    if (response.status === 401 && renewable && this.isTokenProblem(await this.peek(response, stream))) {
      if (this.token?.oidc) await this.renewOidc(this.token);
      else {
        this.token = null;
        await this.login();
      }
      response = await attempt();
    }
    if (response.status >= 400) {
      if (stream) response.data = await readAll(response.data as Readable);
      const error = apiError(response, options.what);
      if (response.status === 401 && error.exceptionClass === 'CannotAuthenticate') {
        throw new CliError(`${error.message}. Run 'tarn login${this.token?.oidc ? ' --oidc' : ''}' again.`, ExitCode.AUTH, error.exceptionClass);
      }
      throw error;
    }
    return response;
  }

  private async peek(response: AxiosResponse, stream: boolean): Promise<AxiosResponse> {
    if (stream) response.data = await readAll(response.data as Readable);
    return response;
  }

  private isTokenProblem(response: AxiosResponse): boolean {
    return apiError(response, '').exceptionClass === 'CannotAuthenticate';
  }

  async json<T = unknown>(method: Method, path: string, options: RequestOptions): Promise<T> {
    const response = await this.request(method, path, options);
    const text = String(response.data ?? '');
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text.replace(/\bInfinity\b/g, '"Infinity"')) as T;
    } catch {
      return text as T;
    }
  }

  /** An NDJSON listing (application/x-json-stream), row by row as it arrives. */
  async *ndjson<T = Record<string, unknown>>(method: Method, path: string, options: RequestOptions): AsyncGenerator<T> {
    const response = await this.request(method, path, options, true);
    let rest = '';
    for await (const chunk of response.data as Readable) {
      rest += chunk.toString('utf8');
      let newline: number;
      while ((newline = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, newline).trim();
        rest = rest.slice(newline + 1);
        if (line) yield parseLine<T>(line);
      }
    }
    if (rest.trim()) yield parseLine<T>(rest.trim());
  }

  async list<T = Record<string, unknown>>(method: Method, path: string, options: RequestOptions): Promise<T[]> {
    const rows: T[] = [];
    for await (const row of this.ndjson<T>(method, path, options)) rows.push(row);
    return rows;
  }
}

function parseLine<T>(line: string): T {
  return JSON.parse(line.replace(/:\s*Infinity\b/g, ': "Infinity"')) as T;
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString('utf8');
  return text;
}

/** `scope/name` for a path, each part URL-encoded (names may hold '/' and other characters). */
export function didPath(scope: string, name: string): string {
  return `${encodeURIComponent(scope)}/${encodeURIComponent(name)}`;
}
