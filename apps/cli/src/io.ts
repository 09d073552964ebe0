/** Where a run of the CLI writes and what it reads: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Progress bars only on a terminal. */
  stderrIsTty: boolean;
  stdinIsTty: boolean;
  cwd: string;
  /** Aborted on SIGINT: long commands stop between files and leave what is done for the re-run. */
  signal?: AbortSignal;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stderrIsTty: Boolean(process.stderr.isTTY),
    stdinIsTty: Boolean(process.stdin.isTTY),
    cwd: process.cwd(),
    signal,
  };
}
