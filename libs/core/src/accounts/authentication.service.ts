import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountStatus, Forbidden, InvalidInput } from '@tarn/domain';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { unitOfWork } from '@tarn/catalogue';
import { findOidcLogins, findUserpassAccounts, findUserpassLogin, type OidcLoginRow } from '@tarn/catalogue/repositories/identity.repository.js';
import { deleteExpiredTokens, deleteToken, findToken, insertToken } from '@tarn/catalogue/repositories/token.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { looksLikeJwt, OidcTokenVerifier, type VerifiedOidcToken } from '../auth/oidc-token-verifier.js';
import type { AuthToken, LoginOptions, TokenDescription } from './account.types.js';
import { dummyPasswordHash, verifyPassword } from './password-hash.js';
import { LoginThrottle } from './login-throttle.js';

function assertActive(account: string, status: AccountStatus | null): void {
  if (status !== AccountStatus.ACTIVE) {
    throw cannotAuthenticate(`Account '${account}' is ${String(status ?? 'gone').toLowerCase()}: ask an administrator.`, { account });
  }
}

/** The account an OIDC identity acts as: the one asked for (X-Rucio-Account), else its only or its default account. */
function chooseAccount(identity: string, rows: OidcLoginRow[], requested: string | undefined): OidcLoginRow {
  const accounts = rows.map((r) => `'${r.account}'`).join(', ');
  if (rows.length === 0) {
    throw cannotAuthenticate(
      `The identity '${identity}' is not mapped to any Tarn account: ask an administrator to map it ` +
        `(rucio-admin identity add --type OIDC --id '${identity}' --account <account> --email <email>).`,
    );
  }
  if (requested) {
    const row = rows.find((r) => r.account === requested);
    if (!row) throw cannotAuthenticate(`The identity '${identity}' may not act as account '${requested}': it may act as ${accounts}.`, { account: requested });
    return row;
  }
  if (rows.length === 1) return rows[0];
  const defaults = rows.filter((r) => r.isDefault);
  if (defaults.length === 1) return defaults[0];
  throw cannotAuthenticate(`The identity '${identity}' may act as ${accounts}: choose one with the X-Rucio-Account header (tarn --account).`);
}

/** Rucio's default token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

function tokenLifetime(options: LoginOptions): number {
  const lifetime = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new InvalidInput(`Invalid token lifetime ${lifetime}: give whole seconds, at most ${MAX_TOKEN_LIFETIME_SECONDS}.`, {
      rucioClass: 'InputValidationError',
    });
  }
  return lifetime;
}

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

function cannotAuthenticate(message: string, details: Record<string, unknown> = {}): Forbidden {
  return new Forbidden(message, { rucioClass: 'CannotAuthenticate', details });
}

/**
 * Logins and tokens. A Tarn token is 32 random bytes (base64url) handed to the client once; only its SHA-256 is stored,
 * so a copy of the tokens table grants nothing. A JWT access token of a configured identity provider is accepted as
 * well (OidcTokenVerifier), for the accounts its identity `SUB=<sub>, ISS=<iss>` is mapped to.
 */
@Injectable()
export class AuthenticationService {
  private readonly oidc: OidcTokenVerifier | undefined;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
    @Optional() @Inject(TARN_CONFIG) config?: TarnConfig,
  ) {
    this.oidc = config?.oidc ? new OidcTokenVerifier(config.oidc) : undefined;
  }

  /**
   * Rucio's GET /auth/userpass. Any failure (unknown username, wrong password, identity not mapped to the account)
   * gives the same error, after the same password-hashing work, so the answer tells nothing about which part was wrong.
   * Repeated failures for an account or an address are throttled (LoginThrottle): refused without checking the password.
   */
  async authenticateUserpass(
    account: string,
    username: string,
    password: string,
    options: LoginOptions = {},
  ): Promise<AuthToken> {
    const lifetime = tokenLifetime(options);
    const refused = cannotAuthenticate(
      `Cannot authenticate as account '${account}' with username '${username}': the account, username or password is wrong, ` +
        'or the username may not act as that account. Check them and try again.',
      { account },
    );
    if ([account, username, password].some((v) => typeof v !== 'string' || v.length === 0)) throw refused;
    const ip = options.ip ?? null;
    await this.throttle.assertMayTry(account, ip);

    const login = await findUserpassLogin(this.dataSource.manager, username, account);
    const passwordOk = await verifyPassword(password, login?.passwordHash ?? (await dummyPasswordHash()));
    if (!login || !login.passwordHash || !passwordOk || !login.mapped || login.accountStatus === null) {
      await this.throttle.failed(account, ip);
      throw refused;
    }
    await this.throttle.succeeded(account, ip);
    if (login.accountStatus !== AccountStatus.ACTIVE) {
      throw cannotAuthenticate(`Account '${account}' is ${login.accountStatus.toLowerCase()}: ask an administrator.`, { account });
    }
    return this.issueToken(account, username, lifetime, ip);
  }

  /**
   * Rucio's GET /auth/userpass without X-Rucio-Account: the password is checked against the identity, which then logs
   * in to its only active account, or answers the accounts it may act as (the caller asks again naming one). Failures
   * are throttled under the username, as they are under the account otherwise.
   */
  async authenticateUserpassIdentity(username: string, password: string, options: LoginOptions = {}): Promise<AuthToken | { accounts: string[] }> {
    const lifetime = tokenLifetime(options);
    const refused = cannotAuthenticate(`Cannot authenticate with username '${username}': the username or password is wrong. Check them and try again.`);
    if ([username, password].some((v) => typeof v !== 'string' || v.length === 0)) throw refused;
    const ip = options.ip ?? null;
    await this.throttle.assertMayTry(username, ip);
    const login = await findUserpassAccounts(this.dataSource.manager, username);
    const passwordOk = await verifyPassword(password, login?.passwordHash ?? (await dummyPasswordHash()));
    if (!login || !login.passwordHash || !passwordOk) {
      await this.throttle.failed(username, ip);
      throw refused;
    }
    await this.throttle.succeeded(username, ip);
    if (login.accounts.length === 0) throw cannotAuthenticate(`The username '${username}' may act as no active account: ask an administrator.`);
    if (login.accounts.length > 1) return { accounts: login.accounts };
    return this.issueToken(login.accounts[0], username, lifetime, ip);
  }

  /**
   * The web UI's login through an identity provider: its access token (for Tarn's audience, verified as a bearer
   * token is) buys a Tarn token of the account its identity maps to, with the token's groups kept for the session's
   * lifetime and resolved to GROUP accounts at every request. Without `requested`, an identity mapped to several
   * active accounts answers them (its default first) to choose from. `subject`, the ID token's, must be the access
   * token's: both name the same person.
   */
  async authenticateOidcSession(
    accessToken: string,
    requested: string | undefined,
    options: LoginOptions & { subject?: string } = {},
  ): Promise<AuthToken | { accounts: string[] }> {
    const lifetime = tokenLifetime(options);
    if (!this.oidc) throw cannotAuthenticate('This Tarn accepts no tokens of identity providers (no TARN_OIDC_ISSUERS): log in with a username and password.');
    const verified = await this.oidc.verify(accessToken);
    if (options.subject !== undefined && options.subject !== verified.subject) {
      throw cannotAuthenticate(`The identity provider's ID token and access token name different users ('${options.subject}', '${verified.subject}'): the login is refused.`);
    }
    const rows = await findOidcLogins(this.dataSource.manager, verified.identity, verified.groups);
    const active = rows.filter((r) => r.accountStatus === AccountStatus.ACTIVE);
    if (!requested && active.length > 1) {
      return { accounts: [...active.filter((r) => r.isDefault), ...active.filter((r) => !r.isDefault)].map((r) => r.account) };
    }
    const row = chooseAccount(verified.identity, requested ? rows : active.length === 1 ? active : rows, requested);
    assertActive(row.account, row.accountStatus);
    return this.issueToken(row.account, verified.identity, lifetime, options.ip ?? null, verified.groups);
  }

  private async issueToken(account: string, identity: string, lifetimeSeconds: number, ip: string | null, oidcGroups?: readonly string[]): Promise<AuthToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + lifetimeSeconds * 1000);
    await unitOfWork(this.dataSource, { what: `token for account '${account}'` }, (manager) =>
      insertToken(manager, { tokenHash: tokenHash(token), account, identity, expiredAt: expiresAt, ip, oidcGroups: oidcGroups ?? null }),
    );
    return { account, token, expiresAt };
  }

  /**
   * The issuer a token stands for (admin from the account's `admin` attribute), or CannotAuthenticate. `account` (the
   * X-Rucio-Account header) chooses among the accounts of an OIDC identity; a Tarn token is bound to one already.
   */
  async validateToken(token: string, options: { account?: string } = {}): Promise<Issuer> {
    return (await this.describeToken(token, options)).issuer;
  }

  /** What a token stands for and until when (GET /auth/validate). */
  async describeToken(token: string, options: { account?: string } = {}): Promise<TokenDescription> {
    if (typeof token !== 'string' || token.length === 0) throw cannotAuthenticate('Unknown token: log in to get a new one.');
    if (looksLikeJwt(token)) {
      if (!this.oidc) {
        throw cannotAuthenticate('This Tarn accepts no tokens of identity providers (no TARN_OIDC_ISSUERS): log in with GET /auth/userpass.');
      }
      const verified = await this.oidc.verify(token);
      return this.oidcLogin(verified, options.account);
    }
    if (token.length > 512) throw cannotAuthenticate('Unknown token: log in to get a new one.');
    const row = await findToken(this.dataSource.manager, tokenHash(token));
    if (!row) throw cannotAuthenticate('Unknown token: log in to get a new one.');
    if (row.expiredAt.getTime() <= Date.now()) {
      throw cannotAuthenticate(`Token expired at ${row.expiredAt.toISOString()}, log in again.`, { account: row.account });
    }
    assertActive(row.account, row.accountStatus);
    if (row.groups === null) return { issuer: { account: row.account, admin: row.admin }, expiresAt: row.expiredAt, kind: 'tarn' };
    if (!row.mapped) {
      throw cannotAuthenticate(`The identity '${row.identity}' is no longer mapped to account '${row.account}': this web UI session has ended, log in again.`, {
        account: row.account,
      });
    }
    return { issuer: { account: row.account, admin: row.admin, groups: row.groups }, expiresAt: row.expiredAt, kind: 'tarn', identity: row.identity ?? undefined };
  }

  private async oidcLogin(token: VerifiedOidcToken, requested: string | undefined): Promise<TokenDescription> {
    const rows = await findOidcLogins(this.dataSource.manager, token.identity, token.groups);
    const row = chooseAccount(token.identity, rows, requested);
    assertActive(row.account, row.accountStatus);
    return {
      issuer: { account: row.account, admin: row.admin, groups: row.groups },
      expiresAt: token.expiresAt,
      kind: 'oidc',
      identity: token.identity,
      tokenGroups: token.groups,
    };
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
