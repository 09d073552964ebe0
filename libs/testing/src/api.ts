import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { TestDatabase } from './database.js';
import { createTestingModule } from './nest.js';

export interface TestApi {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * The real API (every route, guard and filter) over a test database, listening on a free port of 127.0.0.1,
 * so that HTTP clients — supertest, axios, the stock Rucio client — talk to it as they would in production.
 * `configEnv` adds settings (e.g. the TARN_OIDC_* of a test OpenID provider); `onResponse` sees every answer once sent.
 */
export async function startTestApi(
  db: TestDatabase,
  configEnv: Record<string, string> = {},
  options: { onResponse?: (req: IncomingMessage, res: ServerResponse) => void } = {},
): Promise<TestApi> {
  const { ApiModule } = await import('../../../apps/api/src/api.module.js');
  const { configureApi } = await import('../../../apps/api/src/configure-api.js');
  const moduleRef = await createTestingModule(db, [ApiModule], configEnv);
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error', 'warn'] });
  const { onResponse } = options;
  if (onResponse) {
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      res.on('finish', () => onResponse(req, res));
      next();
    });
  }
  configureApi(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export interface RucioClient {
  /** Runs the stock `rucio` (or `rucio-admin`) command line; resolves with its output, rejects on non-zero exit. */
  run(command: 'rucio' | 'rucio-admin', args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Same, but resolves with the exit code instead of rejecting. */
  attempt(command: 'rucio' | 'rucio-admin', args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs a Python script with the stock client library (`from rucio.client import Client`) as this user; resolves with stdout. */
  python(script: string, args?: string[]): Promise<string>;
  /** A call to run later in a batch (runRucioBatch): a command line, or a Python script using `rucio.client.Client`. */
  step(kind: 'rucio' | 'rucio-admin', args: string[], options?: { cwd?: string }): RucioStep;
  pythonStep(code: string, args?: string[], options?: { cwd?: string }): RucioStep;
  configPath: string;
  binDir: string;
}

export interface RucioStep {
  config: string;
  bin: string;
  kind: 'rucio' | 'rucio-admin' | 'python';
  args: string[];
  code?: string;
  cwd?: string;
}

export interface RucioStepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs many stock-client calls in one Python process (libs/testing/src/rucio-batch.py): the client is imported
 * once and each call runs in a forked child, in order. Resolves with each call's exit code and output.
 */
export function runRucioBatch(steps: readonly RucioStep[]): Promise<RucioStepResult[]> {
  if (steps.length === 0) return Promise.resolve([]);
  const bin = steps[0].bin;
  return new Promise((resolve, reject) => {
    const child = execFile(
      path.join(bin, 'python'),
      [path.join(ROOT, 'libs/testing/src/rucio-batch.py')],
      { timeout: 600_000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const results = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as RucioStepResult);
        if (error || results.length !== steps.length) {
          reject(new Error(`rucio-batch.py failed after ${results.length} of ${steps.length} calls: ${error?.message ?? ''}\n${stderr}`));
        } else resolve(results);
      },
    );
    child.stdin?.end(JSON.stringify({ bin, steps: steps.map(({ bin: _bin, ...step }) => step) }));
  });
}

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The venv with the stock rucio-clients from PyPI, made by scripts/rucio-client.sh (installed on first use). */
export async function rucioClient(url: string, account: string, password: string, username = account): Promise<RucioClient> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-rucio-'));
  const configPath = path.join(dir, 'rucio.cfg');
  const exportLine = await new Promise<string>((resolve, reject) =>
    execFile(
      'bash',
      [path.join(ROOT, 'scripts/rucio-client.sh'), '--url', url, '--account', account, '--username', username, '--password', password, '--config', configPath],
      { timeout: 300_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`rucio-client.sh failed: ${stderr || error.message}`)) : resolve(stdout)),
    ),
  );
  const binDir = /PATH=([^:\s]+):/.exec(exportLine)?.[1];
  if (!binDir) throw new Error(`unexpected output of rucio-client.sh: ${exportLine}`);
  // Each client keeps its token beside its config, so clients of the same account on other test servers never share one.
  fs.appendFileSync(configPath, `auth_token_file_path = ${path.join(dir, 'auth_token')}\n`);
  const env = { ...process.env, RUCIO_CONFIG: configPath, HOME: dir, RUCIO_HOME: dir };
  const attempt = (command: 'rucio' | 'rucio-admin', args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(path.join(binDir, command), args, { env, cwd: dir, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      ),
    );
  const python = (script: string, args: string[] = []) =>
    new Promise<string>((resolve, reject) =>
      execFile(path.join(binDir, 'python'), ['-c', script, ...args], { env, cwd: dir, timeout: 120_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`python exited ${error.code}:\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
  return {
    configPath,
    binDir,
    step: (kind, args, options = {}) => ({ config: configPath, bin: binDir, kind, args, ...options }),
    pythonStep: (code, args = [], options = {}) => ({ config: configPath, bin: binDir, kind: 'python', args, code, ...options }),
    attempt,
    python,
    run: async (command, args) => {
      const result = await attempt(command, args);
      if (result.code !== 0) {
        throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
      }
      return result;
    },
  };
}
