/**
 * Schemathesis (from PyPI, through scripts/schemathesis.sh) against the real API: requests generated from the OpenAPI
 * document to every operation, as an administrator, over a catalogue with the things its examples name (user.jdoe,
 * run4711, SITE_A...), so that generated requests reach past "not found". The API counts what it answered, by status:
 * the number of answers and of 5xx is the API's own, not the fuzzer's.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { createAccount } from './factories/account.factory.js';
import { createRse } from './factories/rse.factory.js';
import { createScope } from './factories/scope.factory.js';

/** scripts/schemathesis.sh, above this file whether it runs from source (tests) or from dist/ (benchmarks). */
function schemathesisScript(): string {
  for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const script = path.join(dir, 'scripts/schemathesis.sh');
    if (fs.existsSync(script)) return script;
  }
  throw new Error(`scripts/schemathesis.sh not found above ${import.meta.dirname}`);
}

export interface FuzzFixtures {
  adminToken: string;
  /** A directory the posix RSEs write to; removed by the caller. */
  storage: string;
}

/** Accounts root (administrator) and jdoe, the scope user.jdoe, RSEs SITE_A and SITE_B (posix, QOS=SAFE), a dataset with files and a rule. */
export async function seedFuzzFixtures(dataSource: DataSource, login: (account: string, password: string) => Promise<string>): Promise<FuzzFixtures> {
  const password = 'fuzz-password';
  await createAccount(dataSource, { account: 'root', admin: true, password });
  await createAccount(dataSource, { account: 'jdoe', password });
  await createScope(dataSource, { scope: 'user.jdoe', account: 'jdoe' });
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-fuzz-'));
  const posix = { scheme: 'file', hostname: 'localhost', port: 0, prefix: storage, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } };
  for (const rse of ['SITE_A', 'SITE_B']) await createRse(dataSource, { rse, attributes: { QOS: 'SAFE' }, protocols: [posix] });
  await dataSource.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32)
     SELECT 'user.jdoe', 'run4711.' || i || '.raw', 'jdoe', 'F', 1024, '0b4c01a1' FROM generate_series(1, 20) AS i`,
  );
  await dataSource.query(`INSERT INTO dids (scope, name, account, did_type, is_open) VALUES ('user.jdoe', 'run4711', 'jdoe', 'D', true)`);
  await dataSource.query(
    `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32)
     SELECT 'user.jdoe', 'run4711', scope, name, 'D', 'F', bytes, adler32 FROM dids WHERE scope = 'user.jdoe' AND did_type = 'F'`,
  );
  return { adminToken: await login('root', password), storage };
}

export interface FuzzRun {
  exitCode: number;
  /** What schemathesis printed: its summary and the failures it found, with curl commands to reproduce them. */
  output: string;
}

export interface FuzzOptions {
  /** Seconds schemathesis may take. */
  maxTime: number;
  seed?: number;
  workers?: number;
  /** Print schemathesis's progress as it goes (benchmarks). */
  echo?: boolean;
}

/** One schemathesis run against the API at `url`, as the holder of `token`. */
export function runSchemathesis(url: string, token: string, options: FuzzOptions): Promise<FuzzRun> {
  const args = [
    schemathesisScript(),
    'run',
    `${url}/api-docs/json`,
    '--url',
    url,
    '-H',
    `X-Rucio-Auth-Token: ${token}`,
    '--checks',
    'not_a_server_error',
    '--max-time',
    String(options.maxTime),
    '--workers',
    String(options.workers ?? 1),
    '--warnings',
    'off',
    '--suppress-health-check',
    'all',
    '--continue-on-failure',
    ...(options.seed === undefined ? [] : ['--seed', String(options.seed)]),
  ];
  return new Promise((resolve, reject) => {
    // Schemathesis keeps a .schemathesis/ cache in its working directory: a temporary one, not the repository.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-schemathesis-'));
    const child = spawn('bash', args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (options.echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ exitCode: code ?? 1, output });
    });
  });
}

/** Counts the API's answers by status; keeps the first 5xx, to name them. */
export class AnswerCounter {
  total = 0;
  serverErrors = 0;
  readonly byStatus = new Map<number, number>();
  readonly firstServerErrors: string[] = [];

  count(method: string | undefined, url: string | undefined, status: number): void {
    this.total++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (status >= 500) {
      this.serverErrors++;
      if (this.firstServerErrors.length < 20) this.firstServerErrors.push(`${status} ${method} ${url}`);
    }
  }
}
