import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { Throttled } from '@tarn/domain';
import { readConfigSection } from '@tarn/catalogue/repositories/config.repository.js';
import { consoleLogger } from '@tarn/events';

/** The `configs` section `login`: failed logins allowed within `window_seconds`, then refused for `block_seconds`. */
export interface LoginThrottleSettings {
  failuresPerAccountAndAddress: number;
  failuresPerAccount: number;
  failuresPerAddress: number;
  windowSeconds: number;
  blockSeconds: number;
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleSettings = {
  failuresPerAccountAndAddress: 10,
  failuresPerAccount: 50,
  failuresPerAddress: 100,
  windowSeconds: 900,
  blockSeconds: 900,
};

const OPTS: Record<keyof LoginThrottleSettings, string> = {
  failuresPerAccountAndAddress: 'failures_per_account_and_address',
  failuresPerAccount: 'failures_per_account',
  failuresPerAddress: 'failures_per_address',
  windowSeconds: 'window_seconds',
  blockSeconds: 'block_seconds',
};

/** How long the settings read from `configs` are used before they are read again. */
const SETTINGS_TTL_MS = 30_000;

interface Counter {
  /** What it counts, for messages: 'account jdoe from 192.0.2.7'. */
  describe(account: string, ip: string | null): string | null;
  key(account: string, ip: string | null): string | null;
  limiter: RateLimiterPostgres;
}

/**
 * Login throttling: failed logins are counted per account and address, per account and per address, in the catalogue
 * (rate-limiter-flexible's PostgreSQL store, table login_throttle), so that every API process of a deployment counts
 * them together and a restart forgets nothing. Past the threshold of `configs` section `login`, the account or
 * address is refused with 429 and Retry-After for block_seconds, the right password too, without any password being
 * checked; other accounts and addresses are not slowed. Each block is logged once, when it starts.
 *
 * rate-limiter-flexible is a well-kept library (its PostgreSQL store is atomic: one upsert per attempt); a store of
 * our own would only repeat it. The table comes from Tarn's migrations (tableCreated), not from the library.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = consoleLogger('login');
  private settings: LoginThrottleSettings | null = null;
  private counters: Counter[] = [];
  private readAt = 0;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Refuses the attempt (Throttled) when the account or the address is blocked. */
  async assertMayTry(account: string, ip: string | null): Promise<void> {
    for (const counter of await this.current()) {
      const key = counter.key(account, ip);
      if (key === null) continue;
      const state = await counter.limiter.get(key);
      if (state && state.consumedPoints > counter.limiter.points) throw this.refusal(counter, account, ip, state);
    }
  }

  /** Counts a failed attempt; the one that goes over a threshold blocks (and is refused as Throttled itself). */
  async failed(account: string, ip: string | null): Promise<void> {
    let blocked: Throttled | null = null;
    for (const counter of await this.current()) {
      const key = counter.key(account, ip);
      if (key === null) continue;
      try {
        await counter.limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const refusal = this.refusal(counter, account, ip, rejection);
        if (rejection.consumedPoints === counter.limiter.points + 1) this.logger.warn(refusal.message);
        blocked ??= refusal;
      }
    }
    if (blocked) throw blocked;
  }

  /** A login that succeeded starts its account and address afresh (not the address's count over all accounts). */
  async succeeded(account: string, ip: string | null): Promise<void> {
    const [pair] = await this.current();
    const key = pair.key(account, ip);
    if (key !== null) await pair.limiter.delete(key);
  }

  private refusal(counter: Counter, account: string, ip: string | null, state: RateLimiterRes): Throttled {
    const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    return new Throttled(
      `Too many failed logins for ${counter.describe(account, ip)}: logins are refused for ${seconds} s (no password is checked meanwhile). ` +
        'Check the account, username and password; an administrator can tell whether someone else is trying.',
      seconds,
      { details: { account, ip } },
    );
  }

  private async current(): Promise<Counter[]> {
    if (this.settings && Date.now() - this.readAt < SETTINGS_TTL_MS) return this.counters;
    const section = await readConfigSection(this.dataSource.manager, 'login');
    const settings = { ...LOGIN_THROTTLE_DEFAULTS };
    for (const [name, opt] of Object.entries(OPTS) as [keyof LoginThrottleSettings, string][]) {
      const value = Number(section.get(opt));
      if (section.has(opt) && Number.isInteger(value) && value > 0) settings[name] = value;
    }
    this.readAt = Date.now();
    if (JSON.stringify(settings) !== JSON.stringify(this.settings)) {
      this.settings = settings;
      const limiter = (keyPrefix: string, points: number) =>
        new RateLimiterPostgres({
          storeClient: this.dataSource,
          storeType: 'typeorm',
          tableName: 'login_throttle',
          tableCreated: true,
          keyPrefix,
          points,
          duration: settings.windowSeconds,
          blockDuration: settings.blockSeconds,
        });
      this.counters = [
        {
          key: (account, ip) => (ip === null ? null : `${account}|${ip}`),
          describe: (account, ip) => `account '${account}' from ${ip}`,
          limiter: limiter('login-pair', settings.failuresPerAccountAndAddress),
        },
        { key: (account) => account, describe: (account) => `account '${account}'`, limiter: limiter('login-account', settings.failuresPerAccount) },
        { key: (_account, ip) => ip, describe: (_account, ip) => `address ${ip}`, limiter: limiter('login-address', settings.failuresPerAddress) },
      ];
    }
    return this.counters;
  }
}
