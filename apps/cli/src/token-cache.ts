import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to renew an access token of an identity provider (`tarn login --oidc`). */
export interface OidcSession {
  issuer: string;
  clientId: string;
  /** Kept only in the 0600 token file; rotated by providers at each use. */
  refreshToken?: string;
  audience: string;
  audienceParameter: 'audience' | 'resource';
  scopes: string;
}

export interface CachedToken {
  url: string;
  account: string;
  username: string;
  token: string;
  /** ISO time. */
  expiresAt: string;
  /** ISO time the token was obtained: a token is renewed once three quarters of its life are gone. */
  obtainedAt?: string;
  /** Present for an access token of an identity provider. */
  oidc?: OidcSession;
}

/** The username under which OIDC logins are cached (an OIDC login has no Tarn username). */
export const OIDC_USERNAME = 'oidc';

/** A lock file older than this is left over by a killed process. */
const STALE_LOCK_MS = 30_000;

/** One file per (Tarn URL, account, username), readable only by its owner (0600, in a 0700 directory). */
export class TokenCache {
  constructor(private readonly dir: string) {}

  pathFor(url: string, account: string, username: string): string {
    const key = createHash('sha256').update(`${url}\n${account}\n${username}`).digest('hex').slice(0, 20);
    return join(this.dir, `${account}-${key}.json`);
  }

  read(url: string, account: string, username: string): CachedToken | null {
    try {
      const token = JSON.parse(readFileSync(this.pathFor(url, account, username), 'utf8')) as CachedToken;
      return typeof token.token === 'string' && typeof token.expiresAt === 'string' ? token : null;
    } catch {
      return null;
    }
  }

  write(token: CachedToken): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const path = this.pathFor(token.url, token.account, token.username);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(token, null, 2) + '\n', { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
    return path;
  }

  /**
   * Runs `work` holding the lock of one cached token, so that two tarn processes of a cron job do not both spend
   * the same refresh token (providers rotate it: the second use would end the login).
   */
  async locked<T>(url: string, account: string, username: string, work: () => Promise<T>): Promise<T> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = `${this.pathFor(url, account, username)}.lock`;
    const deadline = Date.now() + STALE_LOCK_MS + 5_000;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx', 0o600));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = (() => {
          try {
            return Date.now() - statSync(lock).mtimeMs;
          } catch {
            return 0;
          }
        })();
        if (age > STALE_LOCK_MS || Date.now() > deadline) {
          try {
            unlinkSync(lock);
          } catch {
            // another process took it over
          }
          continue;
        }
        await sleep(50);
      }
    }
    try {
      return await work();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    }
  }

  /** Remembers the account and username of the last login at a Tarn URL, for commands run without --account. */
  remember(url: string, account: string, username: string): void {
    const path = join(this.dir, 'logins.json');
    const logins = { ...this.logins(), [url]: { account, username } };
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(logins, null, 2) + '\n', { mode: 0o600 });
    renameSync(temporary, path);
  }

  /** The account and username of the last login at a Tarn URL. */
  remembered(url: string): { account: string; username: string } | undefined {
    const login = this.logins()[url];
    return typeof login?.account === 'string' && typeof login.username === 'string' ? login : undefined;
  }

  private logins(): Record<string, { account: string; username: string }> {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, 'logins.json'), 'utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }

  remove(url: string, account: string, username: string): void {
    try {
      unlinkSync(this.pathFor(url, account, username));
    } catch {
      // nothing cached
    }
  }
}
