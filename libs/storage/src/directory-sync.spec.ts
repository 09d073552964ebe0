import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncDirectory } from './directory-sync.js';

describe('syncDirectory', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tarn-dirsync-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('resolves every one of many callers at once, whose renames it covers', async () => {
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await writeFile(join(root, `.tmp${i}`), `file ${i}`);
        await rename(join(root, `.tmp${i}`), join(root, `f${i}`));
        await syncDirectory(root);
      }),
    );
  });

  it('fails every caller of a round with the error, and a later call syncs afresh', async () => {
    const gone = join(root, 'not-yet');
    const results = await Promise.allSettled([syncDirectory(gone), syncDirectory(gone), syncDirectory(gone)]);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ code: 'ENOENT' }) });
    await mkdir(gone);
    await expect(syncDirectory(gone)).resolves.toBeUndefined();
  });
});
