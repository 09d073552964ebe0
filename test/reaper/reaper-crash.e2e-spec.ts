/**
 * The reaper process (apps/reaper/src/main.ts, run from source in a child process) is killed with SIGKILL while
 * it deletes a backlog batch by batch. Afterwards, and after a restarted reaper finished the work: no catalogue
 * replica lacks its file, no deleted file still has a replica row, and each deleted replica has exactly one
 * deletion event.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { deterministicPath, EPOCH_TOMBSTONE } from '@tarn/domain';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { readEvents } from '@tarn/testing/factories/rule.factory.js';
import { createPosixRse, filesOnDisk, type PosixRse, seedReplicas } from './support/reaper-fixtures.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';

jest.setTimeout(240_000);

const DOOMED = 4000;
const KEPT = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reaper process killed mid-batch', () => {
  let db: TestDatabase;
  let rse: PosixRse;
  let scope: string;
  const children: ChildProcess[] = [];

  function startReaper(): DaemonProcess {
    const started = startDaemonProcess('reaper', db.url, {
      TARN_REAPER_INTERVAL_SECONDS: '1',
      TARN_REAPER_BATCH: '300',
      TARN_REAPER_CONCURRENCY: '4',
      TARN_REAPER_GRACE_SECONDS: '0',
    });
    children.push(started.child);
    return started;
  }

  const count = async (sql: string, params: unknown[] = []) => Number((await db.dataSource.query(sql, params))[0].n);

  /** Replica rows whose file is gone, and files gone whose row is still there but not BEING_DELETED. */
  async function disagreements(): Promise<{ rowsWithoutFile: string[]; beingDeleted: number }> {
    const onDisk = await filesOnDisk(rse);
    const rows: { name: string; state: string }[] = await db.dataSource.query(`SELECT name, state FROM replicas WHERE rse_id = $1`, [rse.id]);
    return {
      rowsWithoutFile: rows.filter((r) => r.state !== 'B' && !onDisk.has(deterministicPath(scope, r.name))).map((r) => r.name),
      beingDeleted: rows.filter((r) => r.state === 'B').length,
    };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const account = (await createAccount(db.dataSource, { account: 'jdoe' })).account;
    scope = (await createScope(db.dataSource, { scope: 'user.jdoe', account })).scope;
    rse = await createPosixRse(db.dataSource, { rse: 'CRASH_DISK' });
    await seedReplicas(db.dataSource, rse, { scope, account, count: DOOMED, bytes: 64, prefix: 'doomed', tombstone: () => EPOCH_TOMBSTONE });
    await seedReplicas(db.dataSource, rse, { scope, account, count: KEPT, bytes: 64, prefix: 'kept', tombstone: () => null });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rse?.drop();
    await db?.drop();
  });

  it('leaves the catalogue and the storage in agreement, and a restarted reaper finishes the work', async () => {
    const first = startReaper();
    // Kill it once some batches are done and one is in flight (rows BEING_DELETED).
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the reaper made no progress:\n${first.output()}`);
      const done = await count(`SELECT count(*) AS n FROM outbox_messages WHERE event_type = 'deletion.done'`);
      const inFlight = await count(`SELECT count(*) AS n FROM replicas WHERE rse_id = $1 AND state = 'B'`, [rse.id]);
      if (done >= 300 && inFlight > 0) break;
      await sleep(5);
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    // Right after the kill: every row that is not BEING_DELETED still has its file; some deletions are half done.
    const afterKill = await disagreements();
    expect(afterKill.rowsWithoutFile).toEqual([]);
    expect(afterKill.beingDeleted).toBeGreaterThan(0);
    const remainingAfterKill = await count(`SELECT count(*) AS n FROM replicas WHERE rse_id = $1`, [rse.id]);
    expect(remainingAfterKill).toBeGreaterThan(KEPT);

    const second = startReaper();
    const deadline2 = Date.now() + 120_000;
    while ((await count(`SELECT count(*) AS n FROM replicas WHERE rse_id = $1`, [rse.id])) > KEPT) {
      if (Date.now() > deadline2) throw new Error(`the restarted reaper did not finish:\n${second.output()}`);
      await sleep(100);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const onDisk = await filesOnDisk(rse);
    const rows: { name: string; state: string }[] = await db.dataSource.query(`SELECT name, state FROM replicas WHERE rse_id = $1 ORDER BY name`, [rse.id]);
    expect(rows.every((r) => r.state === 'A' && r.name.startsWith('kept.'))).toBe(true);
    expect(rows).toHaveLength(KEPT);
    // Exactly the kept files are on storage: every row has its file, no deleted file has a row.
    expect([...onDisk].sort()).toEqual(rows.map((r) => deterministicPath(scope, r.name)).sort());
    const events = (await readEvents(db.dataSource, 'deletion.done')).map((e) => e.name as string);
    expect(events).toHaveLength(DOOMED);
    expect(new Set(events).size).toBe(DOOMED);
  });
});
