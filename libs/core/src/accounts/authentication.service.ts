import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountStatus, Forbidden, InvalidInput } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findUserpassLogin } from '@tarn/catalogue/repositories/identity.repository.js';
import { deleteExpiredTokens, deleteToken, findToken, insertToken } from '@tarn/catalogue/repositories/token.repository.js';
import type { Issuer } from '../auth/issuer.js';
import type { AuthToken, LoginOptions } from './account.types.js';
import { dummyPasswordHash, verifyPassword } from './password-hash.js';

/** Rucio's default token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

function cannotAuthenticate(message: string, details: Record<string, unknown> = {}): Forbidden {
  return new Forbidden(message, { rucioClass: 'CannotAuthenticate', details });
}

/**
 * Logins and tokens. A token is 32 random bytes (base64url) handed to the client once; only its SHA-256 is stored,
 * so a copy of the tokens table grants nothing.
 */
@Injectable()
export class AuthenticationService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Rucio's GET /auth/userpass. Any failure (unknown username, wrong password, identity not mapped to the account)
   * gives the same error, after the same password-hashing work, so the answer tells nothing about which part was wrong.
   */
  async authenticateUserpass(
    account: string,
    username: string,
    password: string,
    options: LoginOptions = {},
  ): Promise<AuthToken> {
    const lifetime = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new InvalidInput(`Invalid token lifetime ${lifetime}: give whole seconds, at most ${MAX_TOKEN_LIFETIME_SECONDS}.`, {
        rucioClass: 'InputValidationError',
      });
    }
    const refused = cannotAuthenticate(
      `Cannot authenticate as account '${account}' with username '${username}': the account, username or password is wrong, ` +
        'or the username may not act as that account. Check them and try again.',
      { account },
    );
    if ([account, username, password].some((v) => typeof v !== 'string' || v.length === 0)) throw refused;

    const login = await findUserpassLogin(this.dataSource.manager, username, account);
    const passwordOk = await verifyPassword(password, login?.passwordHash ?? (await dummyPasswordHash()));
    if (!login || !login.passwordHash || !passwordOk || !login.mapped || login.accountStatus === null) throw refused;
    if (login.accountStatus !== AccountStatus.ACTIVE) {
      throw cannotAuthenticate(`Account '${account}' is ${login.accountStatus.toLowerCase()}: ask an administrator.`, { account });
    }

    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + lifetime * 1000);
    await unitOfWork(this.dataSource, { what: `token for account '${account}'` }, (manager) =>
      insertToken(manager, { tokenHash: tokenHash(token), account, identity: username, expiredAt: expiresAt, ip: options.ip ?? null }),
    );
    return { account, token, expiresAt };
  }

  /** The issuer a token stands for (admin from the account's `admin` attribute), or CannotAuthenticate. */
  async validateToken(token: string): Promise<Issuer> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) {
      throw cannotAuthenticate('Unknown token: log in to get a new one.');
    }
    const row = await findToken(this.dataSource.manager, tokenHash(token));
    if (!row) throw cannotAuthenticate('Unknown token: log in to get a new one.');
    if (row.expiredAt.getTime() <= Date.now()) {
      throw cannotAuthenticate(`Token expired at ${row.expiredAt.toISOString()}, log in again.`, { account: row.account });
    }
    if (row.accountStatus !== AccountStatus.ACTIVE) {
      throw cannotAuthenticate(`Account '${row.account}' is ${String(row.accountStatus ?? 'gone').toLowerCase()}: ask an administrator.`, {
        account: row.account,
      });
    }
    return { account: row.account, admin: row.admin };
  }

  /** Logs a token out. */
  async revokeToken(token: string): Promise<boolean> {
    return deleteToken(this.dataSource.manager, tokenHash(String(token)));
  }

  /** Deletes tokens past their expiry; returns how many. */
  async purgeExpiredTokens(now = new Date()): Promise<number> {
    return deleteExpiredTokens(this.dataSource.manager, now);
  }
}
