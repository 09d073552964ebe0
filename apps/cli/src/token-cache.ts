import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CachedToken {
  url: string;
  account: string;
  username: string;
  token: string;
  /** ISO time. */
  expiresAt: string;
}

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

  remove(url: string, account: string, username: string): void {
    try {
      unlinkSync(this.pathFor(url, account, username));
    } catch {
      // nothing cached
    }
  }
}
