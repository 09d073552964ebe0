import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from './errors.js';
import type { CliIo } from './io.js';

/** What the CLI needs to reach Tarn, from the config file, then the environment, then flags (each overrides the one before). */
export interface CliConfig {
  url: string;
  account?: string;
  username?: string;
  password?: string;
  /** Where the login tokens are cached (mode 0600 files). */
  tokenDir: string;
  /** Files transferred at once by upload and download. */
  parallel: number;
  configPath: string;
}

export interface GlobalFlags {
  config?: string;
  url?: string;
  account?: string;
  username?: string;
  password?: string;
}

const FILE_KEYS = ['url', 'account', 'username', 'password', 'tokenDir', 'parallel'] as const;

export function configDir(env: CliIo['env']): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'tarn');
}

function readConfigFile(path: string, explicit: boolean): Partial<CliConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`Cannot read the config file ${path}: ${(error as Error).message}. Fix the path given with --config or TARN_CLI_CONFIG.`, ExitCode.USAGE);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`The config file ${path} is not valid JSON (${(error as Error).message}). Write an object such as {"url": "http://127.0.0.1:8080", "account": "jdoe"}.`, ExitCode.USAGE);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`The config file ${path} must hold a JSON object such as {"url": "http://127.0.0.1:8080", "account": "jdoe"}.`, ExitCode.USAGE);
  }
  const unknown = Object.keys(parsed).filter((k) => !(FILE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new CliError(`Unknown key(s) ${unknown.join(', ')} in the config file ${path}: use ${FILE_KEYS.join(', ')}.`, ExitCode.USAGE);
  }
  return parsed as Partial<CliConfig>;
}

const DEFAULT_URL = 'http://127.0.0.1:8080';

/**
 * The URL of a Tarn started in this environment: the server listens on TARN_HOST and TARN_PORT, and tarn finds it
 * with the same variables (a server listening on every interface is reached on 127.0.0.1).
 */
export function serverUrl(env: CliIo['env']): string | undefined {
  if (!env.TARN_HOST && !env.TARN_PORT) return undefined;
  const listen = env.TARN_HOST || '127.0.0.1';
  const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.TARN_PORT || 8080}`;
}

export function loadCliConfig(flags: GlobalFlags, io: Pick<CliIo, 'env'>): CliConfig {
  const env = io.env;
  const explicitPath = flags.config ?? env.TARN_CLI_CONFIG;
  const configPath = explicitPath ?? join(configDir(env), 'config.json');
  const file = readConfigFile(configPath, explicitPath !== undefined);
  const pick = <T>(...values: Array<T | undefined | ''>): T | undefined => {
    let chosen: T | undefined;
    for (const value of values) if (value !== undefined && value !== '') chosen = value as T;
    return chosen;
  };
  const parallelText = pick<string | number>(file.parallel, env.TARN_PARALLEL);
  const parallel = parallelText === undefined ? 4 : Number(parallelText);
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new CliError(`parallel must be a whole number >= 1, not ${JSON.stringify(parallelText)} (config file ${configPath} or TARN_PARALLEL).`, ExitCode.USAGE);
  }
  const given = pick<string>(file.url, serverUrl(env), env.TARN_URL, flags.url) ?? DEFAULT_URL;
  // host:port alone means http://host:port.
  const url = /^[\w.-]+:\d+\/?$/.test(given) ? `http://${given}` : given;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new CliError(`The Tarn URL '${url}' is not an http(s) URL: give e.g. --url http://127.0.0.1:8080 (or TARN_URL, or "url" in ${configPath}).`, ExitCode.USAGE);
  }
  const account = pick<string>(file.account, env.TARN_ACCOUNT, flags.account);
  return {
    url: url.replace(/\/+$/, ''),
    account,
    username: pick<string>(file.username, env.TARN_USERNAME, flags.username) ?? account,
    password: pick<string>(file.password, env.TARN_PASSWORD, flags.password),
    tokenDir: pick<string>(file.tokenDir, env.TARN_TOKEN_DIR) ?? join(configDir(env), 'tokens'),
    parallel,
    configPath,
  };
}
