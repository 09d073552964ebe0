import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../apps/cli/src/io.js';
import { runCli } from '../../apps/cli/src/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `tarn` user with a home of its own (config and token cache) talking to one Tarn. */
export class CliUser {
  readonly home: string;

  constructor(readonly env: Record<string, string | undefined>) {
    this.home = mkdtempSync(join(tmpdir(), 'tarn-cli-home-'));
  }

  /** Runs tarn in this process (fast): argv without the program name. `onStderr` sees what it tells the user as it goes. */
  async run(args: string[], extraEnv: Record<string, string | undefined> = {}, cwd = this.home, onStderr?: (text: string) => void): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: {
        write: (s: string) => {
          stderr += s;
          onStderr?.(s);
        },
      },
      env: { PATH: process.env.PATH, HOME: this.home, ...this.env, ...extraEnv },
      stderrIsTty: false,
      stdinIsTty: false,
      cwd,
    };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  /** Runs tarn and expects exit 0; answers stdout. */
  async ok(args: string[], extraEnv: Record<string, string | undefined> = {}, cwd?: string): Promise<string> {
    const result = await this.run(args, extraEnv, cwd);
    if (result.code !== 0) throw new Error(`tarn ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  async json<T = any>(args: string[], extraEnv: Record<string, string | undefined> = {}, cwd?: string): Promise<T> {
    return JSON.parse(await this.ok(['--json', ...args], extraEnv, cwd)) as T;
  }

  drop(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
