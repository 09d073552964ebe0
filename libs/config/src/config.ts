import * as path from 'node:path';
import { loadOidcConfig, type OidcConfig } from './oidc-config.js';

export type EventBusKind = 'kafka' | 'postgres';

export const LOG_LEVELS = ['warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The NestJS logger levels of a Tarn log level. */
export function nestLogLevels(level: LogLevel): Array<'error' | 'warn' | 'log' | 'debug' | 'verbose'> {
  if (level === 'debug') return ['error', 'warn', 'log', 'debug', 'verbose'];
  return level === 'info' ? ['error', 'warn', 'log'] : ['error', 'warn'];
}

export interface TarnConfig {
  /** External PostgreSQL; when absent Tarn runs an embedded PostgreSQL under `home`. */
  databaseUrl: string | undefined;
  home: string;
  embeddedPostgresPort: number;
  host: string;
  port: number;
  kafkaBrokers: string[];
  eventBus: EventBusKind;
  rootPassword: string | undefined;
  logSql: boolean;
  /**
   * How much the framework says (TARN_LOG_LEVEL): `warn` (default) its warnings and errors only; `info` also its
   * start-up steps (modules, the mapping of every route); `debug` everything. Tarn's own lines are always written.
   */
  logLevel: LogLevel;
  /** Tokens of identity providers; undefined when Tarn accepts none. */
  oidc: OidcConfig | undefined;
  /**
   * The proxies in front of the API whose X-Forwarded-For Tarn believes (Express's `trust proxy`: a number of hops,
   * loopback, uniquelocal, or addresses and CIDRs); by default none, so a client cannot pose as another address.
   */
  trustProxy: string | number | false;
  /** TARN_UI_DIR: the built web UI served at /ui; by default dist/web of Tarn's installation (`npm run build` makes it). */
  uiDir: string | undefined;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Tarn cannot start, its environment is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(env: NodeJS.ProcessEnv, problems: string[]): string | number | false {
  const raw = (env.TARN_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !PROXY_PRESETS.has(entry) && !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry));
  if (bad.length > 0) {
    problems.push(`TARN_TRUST_PROXY must be a number of proxies, loopback, linklocal, uniquelocal, or addresses/CIDRs; not ${bad.join(', ')}`);
    return false;
  }
  return entries.join(',');
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    problems.push(`${name}=${raw} is not a TCP port (1-65535)`);
    return fallback;
  }
  return value;
}

function logLevel(env: NodeJS.ProcessEnv, problems: string[]): LogLevel {
  const raw = (env.TARN_LOG_LEVEL ?? '').trim().toLowerCase();
  if (raw === '') return 'warn';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  problems.push(`TARN_LOG_LEVEL must be ${LOG_LEVELS.join(', ')}, not '${env.TARN_LOG_LEVEL}'`);
  return 'warn';
}

/** Reads and validates the environment once; every problem is reported at the same time. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TarnConfig {
  const problems: string[] = [];
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be a postgres:// URL, got '${databaseUrl}'`);
  }
  const kafkaBrokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  for (const broker of kafkaBrokers) {
    if (!/^[^:\s]+:\d+$/.test(broker)) problems.push(`KAFKA_BROKERS entry '${broker}' is not host:port`);
  }
  const eventBusRaw = env.TARN_EVENT_BUS ?? (kafkaBrokers.length > 0 ? 'kafka' : 'postgres');
  if (eventBusRaw !== 'kafka' && eventBusRaw !== 'postgres') {
    problems.push(`TARN_EVENT_BUS must be 'kafka' or 'postgres', got '${eventBusRaw}'`);
  }
  if (eventBusRaw === 'kafka' && kafkaBrokers.length === 0) {
    problems.push('TARN_EVENT_BUS=kafka needs KAFKA_BROKERS (for example 127.0.0.1:9092)');
  }
  const config: TarnConfig = {
    databaseUrl,
    home: path.resolve(env.TARN_HOME || '.tarn'),
    embeddedPostgresPort: port(env, 'TARN_PG_PORT', 54329, problems),
    host: env.TARN_HOST || '127.0.0.1',
    port: port(env, 'TARN_PORT', 8080, problems),
    kafkaBrokers,
    eventBus: eventBusRaw as EventBusKind,
    rootPassword: env.TARN_ROOT_PASSWORD || undefined,
    logSql: env.TARN_LOG_SQL === '1' || env.TARN_LOG_SQL === 'true',
    logLevel: logLevel(env, problems),
    oidc: loadOidcConfig(env, problems),
    trustProxy: trustProxy(env, problems),
    uiDir: env.TARN_UI_DIR ? path.resolve(env.TARN_UI_DIR) : undefined,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
