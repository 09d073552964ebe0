#!/usr/bin/env node
// The `tarn` command: runs the compiled CLI (apps/cli), built by `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/apps/cli/src/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`tarn: the CLI is not built (${cli.pathname} is missing); run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(1);
}
await import(cli.href);
