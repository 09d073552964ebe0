import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
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
 */
export async function startTestApi(db: TestDatabase): Promise<TestApi> {
  const { ApiModule } = await import('../../../apps/api/src/api.module.js');
  const { configureApi } = await import('../../../apps/api/src/configure-api.js');
  const moduleRef = await createTestingModule(db, [ApiModule]);
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error', 'warn'] });
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
  configPath: string;
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
