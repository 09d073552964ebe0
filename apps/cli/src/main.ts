#!/usr/bin/env node
import { ExitCode } from './errors.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

// First Ctrl-C: stop between files and exit (what is done stays done; the same command resumes).
// Second Ctrl-C: exit at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(ExitCode.INTERRUPTED);
  process.stderr.write('\ntarn: interrupted; stopping (run the same command again to resume)\n');
  controller.abort();
  setTimeout(() => process.exit(ExitCode.INTERRUPTED), 2000).unref();
});

// A reader that went away (`tarn rule list | head`) ends the run quietly: nothing is left to say to it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? ExitCode.OK);
  });
}

runCli(process.argv.slice(2), processIo(controller.signal)).then(
  (code) => {
    process.exitCode = controller.signal.aborted && code === ExitCode.OK ? ExitCode.INTERRUPTED : code;
  },
  (error) => {
    process.stderr.write(`tarn: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = ExitCode.FAILURE;
  },
);
