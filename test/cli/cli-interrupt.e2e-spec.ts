/**
 * Ctrl-C half-way: `tarn upload` and `tarn download` run as real processes (the CLI's main.ts, transpiled on the
 * fly), get SIGINT once some files are done, exit 130, and the same command run again completes without sending
 * the done files again (same inode on the RSE / on the local disk).
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { hashPath } from '@tarn/domain';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

jest.setTimeout(180_000);

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'interrupt-secret';
const FILES = ['f0.dat', 'f1.dat', 'f2.dat', 'f3.dat'];
const SIZE = 400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tarn: interrupted uploads and downloads resume', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let cli: CliUser;
  let rseDir: Awaited<ReturnType<typeof createTestDirectory>>;
  const source = () => join(cli.home, 'src');

  /** Runs `tarn <args>` as its own process; SIGINT once `ready()` holds; resolves with the exit code and stderr. */
  async function interrupted(args: string[], ready: () => boolean): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ['--import', './test/events/support/ts-register.mjs', 'apps/cli/src/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...cli.env, HOME: cli.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // 'close', not 'exit': the exit can come before the last of stderr has been read.
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    let signalled = false;
    const deadline = Date.now() + 90_000;
    while (!signalled && child.exitCode === null && Date.now() < deadline) {
      if (ready()) {
        child.kill('SIGINT');
        signalled = true;
      } else await sleep(20);
    }
    const code = await exited;
    if (!signalled) throw new Error(`tarn ${args.join(' ')} ended (${code}) before it could be interrupted: ${stderr}`);
    return { code, stderr };
  }

  const onRse = (name: string) => join(rseDir.root, hashPath('user.ctrl', name));

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'ctrl', admin: true, password: PASSWORD });
    cli = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'ctrl', TARN_PASSWORD: PASSWORD });
    rseDir = await createTestDirectory();
    await cli.ok(['scope', 'add', 'user.ctrl']);
    await cli.ok(['rse', 'add', 'CTRL_POSIX']);
    await cli.ok(['rse', 'add-protocol', 'CTRL_POSIX', '--scheme', 'file', '--prefix', rseDir.root]);
    mkdirSync(source());
    for (const name of FILES) writeFileSync(join(source(), name), randomBytes(SIZE));
  });

  afterAll(async () => {
    cli?.drop();
    await tarn?.close();
    await rseDir?.drop();
    await db?.drop();
  });

  it('upload: SIGINT after the first file, re-run sends only the rest', async () => {
    // 1 file at a time at 400 kB/s: about a second per file.
    const args = ['upload', source(), '--scope', 'user.ctrl', '--rse', 'CTRL_POSIX', '--dataset', 'ctrl-ds', '--parallel', '1', '--limit-rate', '400000'];
    const first = await interrupted(args, () => existsSync(onRse('f0.dat')));
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 130, stderr: expect.stringMatching(/interrupted.*run the same command again to resume/) });
    expect(existsSync(onRse('f3.dat'))).toBe(false);

    const written = FILES.filter((f) => existsSync(onRse(f)));
    const inodes = new Map(written.map((f) => [f, statSync(onRse(f)).ino]));
    const rerun = await cli.json(args.slice(0, 8));
    const actions = Object.fromEntries(rerun.map((r: any) => [r.did.split(':')[1], r.action]));
    expect(rerun.every((r: any) => r.state === 'AVAILABLE')).toBe(true);
    // f0 was complete on the RSE before the interrupt (whether or not it was marked written or verified yet): not sent again.
    expect(actions['f0.dat']).toBe('skipped');
    expect(statSync(onRse('f0.dat')).ino).toBe(inodes.get('f0.dat'));
    expect(actions['f3.dat']).toBe('written');
    for (const f of FILES) {
      if (actions[f] === 'skipped') expect(statSync(onRse(f)).ino).toBe(inodes.get(f));
      expect(readFileSync(onRse(f))).toEqual(readFileSync(join(source(), f)));
    }
    expect((await cli.json(['did', 'list', 'user.ctrl:ctrl-ds'])).map((d: any) => d.name)).toEqual(FILES);
  });

  it('download: SIGINT after the first file, re-run fetches only the rest and resumes the partial one', async () => {
    const dest = join(cli.home, 'dest');
    const local = (name: string) => join(dest, 'user.ctrl', name);
    const args = ['download', 'user.ctrl:ctrl-ds', '--dir', dest, '--parallel', '1', '--limit-rate', '400000'];
    const first = await interrupted(args, () => existsSync(local('f0.dat')));
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 130, stderr: expect.stringMatching(/interrupted/) });
    const complete = FILES.filter((f) => existsSync(local(f)));
    expect(complete.length).toBeGreaterThanOrEqual(1);
    expect(complete.length).toBeLessThan(FILES.length);
    const inodes = new Map(complete.map((f) => [f, statSync(local(f)).ino]));
    const partial = readdirSync(join(dest, 'user.ctrl')).filter((f) => f.endsWith('.tarn-part'));

    const rerun = await cli.json(args.slice(0, 4));
    const actions = Object.fromEntries(rerun.map((r: any) => [r.name, r.action]));
    for (const f of complete) {
      expect(actions[f]).toBe('skipped');
      expect(statSync(local(f)).ino).toBe(inodes.get(f));
    }
    for (const f of FILES) expect(readFileSync(local(f))).toEqual(readFileSync(join(source(), f)));
    expect(readdirSync(join(dest, 'user.ctrl')).filter((f) => f.endsWith('.tarn-part'))).toEqual([]);
    expect(partial.length).toBeLessThanOrEqual(1);
  });
});
