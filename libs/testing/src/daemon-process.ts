import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

import { COMPILED, REPO_ROOT as ROOT } from './repo-root.js';

/** What a process wrote last is kept (the start and the end of a long log are what tell). */
const OUTPUT_KEPT = 64 * 1024;

export interface DaemonProcess {
  child: ChildProcess;
  /** What it wrote to stdout and stderr (the last 64 KiB). */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * The command that runs one of Tarn's apps: its compiled main (`dist/apps/<app>/src/main.js`) when this runs compiled,
 * else its TypeScript source through the hooks of test/events/support (transpiled once, cached).
 */
export function appCommand(app: string): { command: string; args: string[]; cwd: string } {
  const compiled = path.join(ROOT, 'dist/apps', app, 'src/main.js');
  if (COMPILED) {
    if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build`);
    return { command: process.execPath, args: [compiled], cwd: ROOT };
  }
  return { command: process.execPath, args: ['--import', './test/events/support/ts-register.mjs', `apps/${app}/src/main.ts`], cwd: ROOT };
}

/**
 * Before starting many processes from the sources: transpiles every source file once into the cache they share, so
 * that they do not all transpile the same files at the same time. Nothing to do when running compiled.
 */
export async function prepareSources(): Promise<void> {
  if (COMPILED) return;
  const script = "import('./test/events/support/ts-transpile.mjs').then((m) => m.warmTranspileCache())";
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 120_000 }, (error, _out, stderr) =>
      error ? reject(new Error(`transpiling the sources failed: ${error.message}\n${stderr}`)) : resolve(),
    ),
  );
}

/**
 * One of Tarn's apps as a real process, on the test database `databaseUrl` and (unless `env` names Kafka) the
 * PostgreSQL event bus, with its health and metrics server on a free port, so that a test can kill it with SIGKILL
 * mid-work and start it again. `env` adds the daemon's knobs.
 */
export function startDaemonProcess(app: string, databaseUrl: string, env: Record<string, string> = {}): DaemonProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.KAFKA_BROKERS;
  Object.assign(childEnv, { DATABASE_URL: databaseUrl, TARN_EVENT_BUS: 'postgres', TARN_METRICS_PORT: '0' }, env);
  const { command, args, cwd } = appCommand(app);
  const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer) => {
    output += data;
    if (output.length > 2 * OUTPUT_KEPT) output = output.slice(-OUTPUT_KEPT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output.slice(-OUTPUT_KEPT), exited };
}
