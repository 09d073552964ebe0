import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import axios from 'axios';

const SCRIPT = path.resolve(import.meta.dirname, '../../../scripts/services/openid-provider.mjs');

export interface ProviderUser {
  sub: string;
  username: string;
  password: string;
  groups?: string[];
}

export interface ProviderOptions {
  tarnAudience?: string;
  storageAudiences?: string[];
  groupsClaim?: string;
  accessTokenTtl?: number;
  users?: ProviderUser[];
  serviceSecret?: string;
}

export interface ProviderStats {
  accessTokens: number;
  refreshes: number;
  exchanges: { client: string; audience: string; subject: string }[];
  deviceLogins: number;
  codeLogins: number;
  signingKid: string;
}

/**
 * A real OpenID provider (scripts/services/openid-provider.mjs: the certified oidc-provider package) in a child process
 * of its own on a free port of 127.0.0.1, for one test file. The test changes it as an administrator of an IAM would:
 * users and their groups, key rotation, token lifetimes.
 */
export class TestOpenIdProvider {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
    readonly options: Required<Pick<ProviderOptions, 'tarnAudience' | 'serviceSecret'>> & ProviderOptions,
  ) {
    child.on('message', (message: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
    });
  }

  static async start(options: ProviderOptions = {}): Promise<TestOpenIdProvider> {
    const config = { tarnAudience: 'https://tarn.example.org', serviceSecret: 'tarn-service-secret', ...options, port: 0 };
    const child = fork(SCRIPT, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
      env: { ...process.env, TARN_OIDC_PROVIDER_CONFIG: JSON.stringify(config) },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const issuer = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start in 20 s: ${stderr}`)), 20_000);
      child.once('exit', (code) => reject(new Error(`the OpenID provider exited (${code}): ${stderr}`)));
      child.on('message', (message: { ready?: { issuer: string } }) => {
        if (message.ready) {
          clearTimeout(timer);
          resolve(message.ready.issuer);
        }
      });
    });
    child.removeAllListeners('exit');
    return new TestOpenIdProvider(child, issuer, config);
  }

  private call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  setUser(user: Partial<ProviderUser> & { sub: string }): Promise<ProviderUser> {
    return this.call('setUser', user);
  }

  /** A new signing key; the old one stays published unless keepOld is false. */
  rotateKeys(keepOld = true): Promise<{ kid: string }> {
    return this.call('rotateKeys', { keepOld });
  }

  setAccessTokenTtl(seconds: number): Promise<number> {
    return this.call('setAccessTokenTtl', { seconds });
  }

  setGroupsClaim(claim: string): Promise<string> {
    return this.call('setGroupsClaim', { claim });
  }

  /** Where the provider may send the browser back after a login of the web UI's client `tarn-web` (Tarn's /auth/oidc/callback). */
  setWebRedirectUris(uris: string[]): Promise<string[]> {
    return this.call('setWebRedirectUris', { uris });
  }

  stats(): Promise<ProviderStats> {
    return this.call('stats');
  }

  /** Tarn's settings for this provider (the TARN_OIDC_* environment). */
  tarnEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      TARN_OIDC_ISSUERS: this.issuer,
      TARN_OIDC_AUDIENCE: this.options.tarnAudience,
      TARN_OIDC_AUDIENCE_PARAMETER: 'resource',
      TARN_OIDC_CLI_CLIENT_ID: 'tarn-cli',
      TARN_OIDC_CLIENT_ID: 'tarn-service',
      TARN_OIDC_CLIENT_SECRET: this.options.serviceSecret,
      TARN_OIDC_WEB_CLIENT_ID: 'tarn-web',
      TARN_OIDC_WEB_CLIENT_SECRET: 'tarn-web-secret',
      TARN_OIDC_WEB_PROVIDER_NAME: 'Test IAM',
      ...extra,
    };
  }

  /** An access token for Tarn's audience by a password login through the authorization code flow with PKCE, as a browser would. */
  async loginWithCode(username: string, password: string, resource = this.options.tarnAudience): Promise<{ access_token: string; refresh_token?: string; expires_in: number }> {
    const browser = new FormBrowser();
    const verifier = randomVerifier();
    const challenge = await sha256base64url(verifier);
    const redirect = 'http://127.0.0.1:1/callback';
    const query = new URLSearchParams({
      client_id: 'tarn-cli',
      response_type: 'code',
      scope: 'openid offline_access',
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource,
      state: 'test',
    });
    const final = await browser.signIn(`${this.issuer}/auth?${query}`, username, password, (url) => url.startsWith(redirect));
    const code = new URL(final).searchParams.get('code');
    if (!code) throw new Error(`the provider did not redirect with a code: ${final}`);
    const response = await axios.post(
      `${this.issuer}/token`,
      new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: 'tarn-cli', code_verifier: verifier, resource }),
      { validateStatus: () => true },
    );
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${JSON.stringify(response.data)}`);
    return response.data;
  }

  /** Completes a device login: what the user does in a browser with the verification URI and code the device shows. */
  async approveDevice(verificationUriComplete: string, username: string, password: string): Promise<void> {
    const browser = new FormBrowser();
    await browser.signIn(verificationUriComplete, username, password, () => false);
    if (!browser.lastPage.includes('Signed in')) throw new Error(`the device login did not succeed: ${browser.lastPage.slice(0, 500)}`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

function randomVerifier(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

async function sha256base64url(text: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url');
}

/**
 * What a person's browser does on the provider's pages: follows redirects with cookies, submits the page's form
 * (a username and password where it asks for them, the given values otherwise), until `done(url)` or a page
 * without a form (kept in `lastPage`).
 */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();
  lastPage = '';

  async signIn(start: string, username: string, password: string, done: (url: string) => boolean): Promise<string> {
    let url = start;
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    for (let step = 0; step < 20; step++) {
      const response = await axios.request({
        url,
        method,
        data: body,
        headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        maxRedirects: 0,
        validateStatus: () => true,
        responseType: 'text',
      });
      for (const cookie of (response.headers['set-cookie'] as string[] | undefined) ?? []) {
        const [pair] = cookie.split(';');
        const eq = pair.indexOf('=');
        this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.location as string, url).toString();
        method = 'GET';
        body = undefined;
        if (done(url)) return url;
        continue;
      }
      if (done(url)) return url;
      if (response.status !== 200) throw new Error(`${method} ${url} answered ${response.status}: ${String(response.data).slice(0, 500)}`);
      this.lastPage = String(response.data);
      const form = parseForm(this.lastPage);
      if (!form) return url;
      if ('username' in form.fields) form.fields.username = username;
      if ('password' in form.fields) form.fields.password = password;
      url = new URL(form.action || url, url).toString();
      method = 'POST';
      body = new URLSearchParams(form.fields).toString();
    }
    throw new Error(`the sign-in did not finish in 20 steps (at ${url})`);
  }
}

function parseForm(page: string): { action: string; fields: Record<string, string> } | null {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page);
  if (!form) return null;
  const attribute = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  const fields: Record<string, string> = {};
  for (const input of form[2].match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (name) fields[name] = decodeEntities(attribute(input, 'value') ?? '');
  }
  return { action: decodeEntities(attribute(form[1], 'action') ?? ''), fields };
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_m, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
