import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface DaemonProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * One of Tarn's apps as a real process from its TypeScript source (`apps/<app>/src/main.ts`), on the test
 * database `databaseUrl` and (unless `env` names Kafka) the PostgreSQL event bus, with its health and metrics
 * server on a free port, so that a test can kill it with SIGKILL mid-work and start it again. `env` adds the
 * daemon's knobs.
 */
export function startDaemonProcess(app: string, databaseUrl: string, env: Record<string, string> = {}): DaemonProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.KAFKA_BROKERS;
  Object.assign(childEnv, { DATABASE_URL: databaseUrl, TARN_EVENT_BUS: 'postgres', TARN_METRICS_PORT: '0' }, env);
  const child = spawn(process.execPath, ['--import', './test/events/support/ts-register.mjs', `apps/${app}/src/main.ts`], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
