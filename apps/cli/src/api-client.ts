import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { CliConfig } from './config.js';
import { CliError, ExitCode, exitCodeOfClass, oneLine } from './errors.js';
import { type CachedToken, TokenCache } from './token-cache.js';

/** A token is refreshed this long before it expires, so that a long command does not lose it half-way. */
const EXPIRY_MARGIN_MS = 60_000;

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
  private readonly tokens: TokenCache;
  private token: CachedToken | null = null;

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

  get account(): string {
    if (!this.config.account) {
      throw new CliError('No account given: pass --account NAME, set TARN_ACCOUNT, or put "account" in the config file.', ExitCode.USAGE);
    }
    return this.config.account;
  }

  private get username(): string {
    return this.config.username ?? this.account;
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
    const token: CachedToken = { url: this.config.url, account: this.account, username: this.username, token: tokenValue, expiresAt: expiresAt.toISOString() };
    const path = this.tokens.write(token);
    this.token = token;
    return { token, path };
  }

  logout(): void {
    this.tokens.remove(this.config.url, this.account, this.username);
  }

  private async currentToken(): Promise<string> {
    this.token ??= this.tokens.read(this.config.url, this.account, this.username);
    if (this.token && Date.parse(this.token.expiresAt) - EXPIRY_MARGIN_MS > Date.now()) return this.token.token;
    if (this.config.password) return (await this.login()).token.token;
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

  /** An authenticated request; a rejected token is renewed once when a password is known. */
  async request(method: Method, path: string, options: RequestOptions, stream = false): Promise<AxiosResponse> {
    const attempt = async () => this.send(method, path, { ...options, headers: { ...options.headers, 'X-Rucio-Auth-Token': await this.currentToken() } }, stream);
    let response = await attempt();
    if (response.status === 401 && this.config.password && this.isTokenProblem(await this.peek(response, stream))) {
      this.token = null;
      await this.login();
      response = await attempt();
    }
    if (response.status >= 400) {
      if (stream) response.data = await readAll(response.data as Readable);
      const error = apiError(response, options.what);
      if (response.status === 401 && error.exceptionClass === 'CannotAuthenticate') {
        throw new CliError(`${error.message}. Run 'tarn login' again.`, ExitCode.AUTH, error.exceptionClass);
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
