/** What only posix storage has to get right: symbolic links leading out of the prefix, file modes. */
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidStoragePath, PosixStorage, StorageOperationFailed, StorageProtocol } from '@tarn/storage';
import { createTestDirectory } from '@tarn/testing/storage.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const text = (s: string) => Readable.from([Buffer.from(s)]);

describe('posix storage', () => {
  let area: Awaited<ReturnType<typeof createTestDirectory>>;
  let outside: string;
  let storage: StorageProtocol;

  beforeAll(async () => {
    area = await createTestDirectory();
    outside = await mkdtemp(join(tmpdir(), 'tarn-test-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'not yours');
    await symlink(outside, join(area.root, 'escape')); // a directory link leading out
    await symlink(join(outside, 'secret.txt'), join(area.root, 'leak.txt')); // a file link leading out
    await mkdir(join(area.root, 'real'));
    await symlink(join(area.root, 'real'), join(area.root, 'alias')); // a link that stays inside
    storage = new PosixStorage({ root: area.root, rse: 'POSIX_TEST' });
  });

  afterAll(async () => {
    await area?.drop();
    await rm(outside, { recursive: true, force: true });
  });

  test('symbolic links that lead outside the prefix are refused for every operation', async () => {
    for (const attempt of [
      () => storage.write('escape/planted.txt', text('x')),
      () => storage.write('escape/new/dir/planted.txt', text('x')),
      () => storage.read('escape/secret.txt'),
      () => storage.stat('escape/secret.txt'),
      () => storage.delete('escape/secret.txt'),
      () => storage.read('leak.txt'),
      () => storage.stat('leak.txt'),
      () => collect(storage.list('escape')),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStoragePath);
      expect((error as Error).message).toContain('leads outside the prefix');
    }
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
  });

  test('listings do not follow links out of the prefix', async () => {
    await storage.write('listed/file.txt', text('x'));
    const paths = (await collect(storage.list(''))).map((e) => e.path);
    expect(paths).toContain('listed/file.txt');
    expect(paths.filter((p) => p.startsWith('escape/') || p === 'leak.txt')).toEqual([]);
  });

  test('links that stay inside the prefix work', async () => {
    await storage.write('alias/through-link.txt', text('inside'));
    expect(await readFile(join(area.root, 'real', 'through-link.txt'), 'utf8')).toBe('inside');
    expect((await storage.stat('alias/through-link.txt')).bytes).toBe(6);
  });

  test('files are 0644 and directories 0755 whatever the umask', async () => {
    const previous = process.umask(0o077);
    try {
      await storage.write('modes/a/b/file.txt', text('x'));
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(area.root, 'modes/a/b/file.txt'))).mode & 0o777).toBe(0o644);
    for (const dir of ['modes', 'modes/a', 'modes/a/b']) expect((await stat(join(area.root, dir))).mode & 0o777).toBe(0o755);
  });

  test('an existing file keeps being replaced atomically, with the fixed mode', async () => {
    await storage.write('replace/file.txt', text('one'));
    await chmod(join(area.root, 'replace/file.txt'), 0o600);
    await storage.write('replace/file.txt', text('two'));
    expect(await readFile(join(area.root, 'replace/file.txt'), 'utf8')).toBe('two');
    expect((await lstat(join(area.root, 'replace/file.txt'))).mode & 0o777).toBe(0o644);
  });

  test('temporary files of writes in progress are not listed', async () => {
    await mkdir(join(area.root, 'inflight'), { recursive: true });
    await writeFile(join(area.root, 'inflight', '.tarn-part.0123456789abcdef'), 'partial');
    await storage.write('inflight/done.txt', text('x'));
    expect((await collect(storage.list('inflight'))).map((e) => e.path)).toEqual(['inflight/done.txt']);
  });

  test('a file where a directory is needed is a clear error', async () => {
    await storage.write('blocker', text('x'));
    const error = await storage.write('blocker/child.txt', text('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageOperationFailed);
    expect((error as Error).message).toContain("'blocker' is a file, not a directory");
  });
});
