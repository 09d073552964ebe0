/**
 * Executed documentation: every ```sh runnable block of README.md and docs/*.md runs as written, a page's blocks in
 * order in one bash, against a fresh Tarn, with `tarn` on the PATH and an empty home directory.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';

jest.setTimeout(300_000);

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'runnable-docs';

/** The commands of a page's runnable blocks, each with the line it starts on (a trailing '\' continues a command). */
export function runnableCommands(markdown: string): Array<{ line: number; command: string }> {
  const commands: Array<{ line: number; command: string }> = [];
  const lines = markdown.split('\n');
  let inBlock = false;
  let pending: { line: number; command: string } | null = null;
  lines.forEach((text, index) => {
    if (!inBlock) {
      if (/^```sh runnable\s*$/.test(text)) inBlock = true;
      return;
    }
    if (/^```\s*$/.test(text)) {
      inBlock = false;
      return;
    }
    if (pending) pending.command += `\n${text}`;
    else if (text.trim() !== '' && !text.trim().startsWith('#')) pending = { line: index + 1, command: text };
    if (pending && !text.endsWith('\\')) {
      commands.push(pending);
      pending = null;
    }
  });
  return commands;
}

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].filter(
  (page) => runnableCommands(readFileSync(join(ROOT, page), 'utf8')).length > 0,
);

describe('runnable examples of the documentation', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let bin: string;

  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'tarn-docs-bin-'));
    const shim = join(bin, 'tarn');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import "${ROOT}/test/events/support/ts-register.mjs" "${ROOT}/apps/cli/src/main.ts" "$@"\n`);
    chmodSync(shim, 0o755);
  });

  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  beforeEach(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
  });

  afterEach(async () => {
    await tarn?.close();
    await db?.drop();
  });

  it('marks runnable examples in the README and in docs/', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/tutorial.md']));
  });

  it.each(pages)('%s runs as written', async (page) => {
    const commands = runnableCommands(readFileSync(join(ROOT, page), 'utf8'));
    const home = mkdtempSync(join(tmpdir(), 'tarn-docs-home-'));
    try {
      const step = join(home, '.step');
      const script = ['set -eo pipefail', ...commands.flatMap((c) => [`echo ${c.line} > '${step}'`, c.command])].join('\n');
      const env = { PATH: `${bin}:${process.env.PATH}`, HOME: home, TARN_URL: tarn.url, TARN_PASSWORD: PASSWORD, LANG: 'C.UTF-8', TERM: 'dumb' };
      const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
        const child = spawn('bash', ['-c', script], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (exit) => done({ code: exit, output }));
      });
      if (code !== 0) {
        const line = Number(readFileSync(step, 'utf8'));
        const failed = commands.find((c) => c.line === line)?.command;
        throw new Error(`${page}:${line}: \`${failed}\` exited ${code}; the page's commands printed:\n${output.split('\n').slice(-40).join('\n')}`);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
