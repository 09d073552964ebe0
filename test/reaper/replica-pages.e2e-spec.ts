/**
 * Where replica rows land in the heap of a catalogue that grew by appending (as the survey's does: rows with
 * checksums, packed page after page, then vacuumed). Small rows registered later, and their new versions when the
 * reaper claims them, stay together on a few pages instead of each taking the leftover space at the end of a
 * different old page: one page read and one full-page image in the write-ahead log per replica, which made reaping
 * on 10 million replicas 1.4-1.6x slower than on an empty catalogue.
 */
import { reaperRepository } from '@tarn/catalogue/repositories/reaper.repository.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';

describe('replica rows in a packed catalogue', () => {
  let db: TestDatabase;
  let survey: CreatedRse;
  let disk: CreatedRse;
  const OLD = 40_000;
  const NEW = 1_000;

  /** Heap pages holding the rows of `scope`. */
  async function pagesOf(scope: string): Promise<number> {
    const [{ pages }] = await db.dataSource.query(
      `SELECT count(DISTINCT (ctid::text::point)[0])::int AS pages FROM replicas WHERE scope = $1`,
      [scope],
    );
    return pages;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`ALTER TABLE replicas SET (autovacuum_enabled = false)`);
    const owner = await createAccount(db.dataSource, { account: 'survey' });
    await createScope(db.dataSource, { scope: 'survey', account: owner.account });
    await createScope(db.dataSource, { scope: 'user.survey', account: owner.account });
    survey = await createRse(db.dataSource, { rse: 'SURVEY_DISK' });
    disk = await createRse(db.dataSource, { rse: 'SCRATCH_DISK' });
    await db.dataSource.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt)
       SELECT 'survey', 'raw.' || lpad(i::text, 8, '0'), $1, 16384, 'abcdef01', md5(i::text), 'A', 1 FROM generate_series(1, $2) i`,
      [survey.id, OLD],
    );
    await db.dataSource.query(`VACUUM replicas`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('keeps new rows, and the versions a claim writes, on a few pages', async () => {
    await db.dataSource.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, state, lock_cnt, tombstone)
       SELECT 'user.survey', 'tmp.' || lpad(i::text, 6, '0'), $1, 100, 'A', 0, 'epoch' FROM generate_series(1, $2) i`,
      [disk.id, NEW],
    );
    // About 40 rows fit a page: 1,000 rows need some 25 pages; packed to the brim, they took 800 pages, one each.
    expect(await pagesOf('user.survey')).toBeLessThan(NEW / 10);

    const claimed = await db.dataSource.transaction((manager) => reaperRepository.claim(manager, disk.id, NEW, null));
    expect(claimed).toHaveLength(NEW);
    const [{ claimedNow }] = await db.dataSource.query(
      `SELECT count(*)::int AS "claimedNow" FROM replicas WHERE scope = 'user.survey' AND state = 'B'`,
    );
    expect(claimedNow).toBe(NEW);
    expect(await pagesOf('user.survey')).toBeLessThan(NEW / 10);
  });
});
