/** What every bench shares: where the repository is, and how a bench ends. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file with scripts/services (dist/scripts/bench or scripts/bench). */
export function repositoryRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'scripts/services'))) return dir;
  }
  throw new Error('cannot find scripts/services above the bench: run it from a checkout of Tarn');
}

/**
 * Runs a bench and exits with its exitCode. The exit is explicit: the embedded PostgreSQL's exit hook (async-exit-hook
 * on 'beforeExit') would end the process with 0 whatever exitCode says.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
