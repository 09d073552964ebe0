/**
 * Executed documentation. Every shell block of README.md and docs/*.md says what it is:
 * - ```sh runnable: runs as written, a page's blocks in order in one bash, against a fresh Tarn listening where
 *   `npm start` listens (the API on 127.0.0.1:8080, the daemons' health and metrics on :9464), with `tarn` on the
 *   PATH, an empty home directory and the repository's scripts/ and deploy/ in the working directory;
 * - ```sh bench: benchmarks (`npm run bench:*`, minutes each): each must be a script of package.json;
 * - ```sh ops: installing, deploying and running processes (npm ci, pm2, Compose, Helm, a daemon per process), which CI and the
 *   deployment tests do: every file, script and app such a block names must exist.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';

jest.setTimeout(600_000);

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'runnable-docs';
const API_PORT = 8080;
const METRICS_PORT = 9464;
const KINDS = ['runnable', 'bench', 'ops'] as const;

export interface ShellBlock {
  line: number;
  kind: string;
  lines: Array<{ line: number; text: string }>;
}

/** The shell blocks of a page (```sh, ```bash, ```shell, ```console), with their kind (the fence's second word). */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  let current: ShellBlock | null = null;
  let inOther = false;
  markdown.split('\n').forEach((text, index) => {
    if (current) {
      if (/^```\s*$/.test(text)) {
        blocks.push(current);
        current = null;
      } else current.lines.push({ line: index + 1, text });
      return;
    }
    const fence = /^```(\S*)\s*(.*)$/.exec(text);
    if (!fence) return;
    if (inOther) {
      inOther = false;
      return;
    }
    if (['sh', 'bash', 'shell', 'console'].includes(fence[1])) current = { line: index + 1, kind: fence[2].trim(), lines: [] };
    else inOther = true;
  });
  return blocks;
}

/** Whether a command's text leaves a quote open (a JSON body over several lines in '...'). */
function openQuote(text: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') i++;
    else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) break;
  }
  return quote !== null;
}

/**
 * The commands of a block, each with the line it starts on (comments left out). A command goes on over the next line
 * after a trailing '\' or while a quote is open.
 */
export function commandsOf(block: ShellBlock): Array<{ line: number; command: string }> {
  const commands: Array<{ line: number; command: string }> = [];
  let pending: { line: number; command: string } | null = null;
  for (const { line, text } of block.lines) {
    if (pending) pending.command += `\n${text}`;
    else if (text.trim() !== '' && !text.trim().startsWith('#')) pending = { line, command: text };
    if (pending && !text.endsWith('\\') && !openQuote(pending.command)) {
      commands.push(pending);
      pending = null;
    }
  }
  if (pending) commands.push(pending);
  return commands;
}

const allPages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocksOf = (page: string) => shellBlocks(readFileSync(join(ROOT, page), 'utf8'));
const pages = allPages.filter((page) => blocksOf(page).some((b) => b.kind === 'runnable'));
const npmScripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>);

/** What a deployment step names that must exist: repository files, apps' entry points, npm scripts. */
function missingReferences(command: string): string[] {
  const missing: string[] = [];
  for (const [, path] of command.matchAll(/(?:^|[\s"'=(])((?:scripts|deploy)\/[\w./-]*\w)/g)) {
    if (!existsSync(join(ROOT, path))) missing.push(path);
  }
  for (const [path, kind, name] of command.matchAll(/dist\/(apps|scripts)\/([\w-]+)(?:\/src\/main)?\.js/g)) {
    const source = kind === 'apps' ? `apps/${name}/src/main.ts` : `scripts/${name}.ts`;
    if (!existsSync(join(ROOT, source))) missing.push(`${path} (no ${source})`);
  }
  for (const [, script] of command.matchAll(/npm run ([\w:-]+)/g)) if (!npmScripts.includes(script)) missing.push(`npm run ${script}`);
  return missing;
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', () =>
      fail(new Error(`127.0.0.1:${port} is taken: the documentation's examples run Tarn where \`npm start\` listens; stop what listens there.`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => done()));
  });
}

describe('the documentation', () => {
  it('says of every shell block whether it is runnable, a benchmark or an operations step', () => {
    const unmarked = allPages.flatMap((page) =>
      blocksOf(page)
        .filter((b) => !(KINDS as readonly string[]).includes(b.kind))
        .map((b) => `${page}:${b.line} (\`\`\`sh ${b.kind})`),
    );
    expect(unmarked).toEqual([]);
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/tutorial.md']));
  });

  it('reads a command over a trailing backslash and over lines inside quotes, and leaves comments out', () => {
    const [block] = shellBlocks(['```sh runnable', "# a comment", "curl -d '{", '  "a": "b # not a comment"', "}' x  # done", 'tarn a \\', '  b', 'echo "#1"', '```'].join('\n'));
    expect(commandsOf(block).map((c) => [c.line, c.command])).toEqual([
      [3, "curl -d '{\n  \"a\": \"b # not a comment\"\n}' x  # done"],
      [6, 'tarn a \\\n  b'],
      [8, 'echo "#1"'],
    ]);
  });

  it('names only benchmarks that exist in its bench blocks', () => {
    const wrong = allPages.flatMap((page) =>
      blocksOf(page)
        .filter((b) => b.kind === 'bench')
        .flatMap((b) => commandsOf(b))
        .filter(({ command }) => {
          const bench = /^(?:[A-Z_]+=\S+\s+)*npm run (bench:[\w-]+)(\s|$)/.exec(command.trim());
          return !bench || !npmScripts.includes(bench[1]);
        })
        .map(({ line, command }) => `${page}:${line}: ${command}`),
    );
    expect(wrong).toEqual([]);
  });

  it('names only files, apps and scripts that exist in its operations steps', () => {
    const wrong = allPages.flatMap((page) =>
      blocksOf(page)
        .filter((b) => b.kind === 'ops')
        .flatMap((b) => commandsOf(b))
        .flatMap(({ line, command }) => missingReferences(command).map((m) => `${page}:${line}: ${m}`)),
    );
    expect(wrong).toEqual([]);
  });
});

describe('runnable examples of the documentation', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let bin: string;

  beforeAll(async () => {
    await assertPortFree(API_PORT);
    await assertPortFree(METRICS_PORT);
    bin = mkdtempSync(join(tmpdir(), 'tarn-docs-bin-'));
    const shim = join(bin, 'tarn');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import "${ROOT}/test/events/support/ts-register.mjs" "${ROOT}/apps/cli/src/main.ts" "$@"\n`);
    chmodSync(shim, 0o755);
  });

  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  beforeEach(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', { TARN_METRICS_PORT: String(METRICS_PORT) }, API_PORT);
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
  });

  afterEach(async () => {
    await tarn?.close();
    await db?.drop();
  });

  it.each(pages)('%s runs as written', async (page) => {
    const commands = blocksOf(page)
      .filter((b) => b.kind === 'runnable')
      .flatMap((b) => commandsOf(b));
    const home = mkdtempSync(join(tmpdir(), 'tarn-docs-home-'));
    for (const dir of ['scripts', 'deploy']) symlinkSync(join(ROOT, dir), join(home, dir));
    try {
      const step = join(home, '.step');
      const script = ['set -eo pipefail', ...commands.flatMap((c) => [`echo ${c.line} > '${step}'`, c.command])].join('\n');
      const env = {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: home,
        TARN_HOME: join(home, '.tarn'),
        TARN_URL: tarn.url,
        TARN_PASSWORD: PASSWORD,
        TARN_ROOT_PASSWORD: PASSWORD,
        // The stock Rucio client's venv is made once per machine, not per page.
        TARN_CACHE: process.env.TARN_CACHE ?? join(homedir(), '.cache/tarn'),
        LANG: 'C.UTF-8',
        TERM: 'dumb',
      };
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
