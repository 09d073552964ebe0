/**
 * Two instances of a daemon sweeping the same catalogue queue (updated_dids) with
 * SELECT ... FOR UPDATE SKIP LOCKED: they share the work and no item is done twice; a failing item rolls
 * back alone and stays for a later pass.
 */
import { jest } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { DaemonMetrics, DaemonRunner, sweepSkipLocked } from '@tarn/daemon';
import { silentLogger } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';

jest.setTimeout(60_000);

interface QueueItem {
  id: number;
  name: string;
}

/** The kind of claiming query a repository provides for a sweep. */
async function claimUpdatedDids(manager: EntityManager, limit: number): Promise<QueueItem[]> {
  const rows: { id: string; name: string }[] = await manager.query(
    `SELECT id, name FROM updated_dids ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}

describe('work sharing between instances of a daemon', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('splits a queue between two instances; every item is done exactly once', async () => {
    const total = 600;
    await db.dataSource.query(
      `INSERT INTO updated_dids (scope, name, rule_evaluation_action) SELECT 'user.jdoe', 'file-' || g, 'A' FROM generate_series(1, $1) g`,
      [total],
    );
    const doneBy = new Map<number, string[]>();
    const instance = (thread: string) =>
      new DaemonRunner(
        {
          name: 'sweeper',
          thread,
          intervalMs: 50,
          runOnce: (ctx) =>
            sweepSkipLocked(db.dataSource, ctx, {
              what: 'test sweep',
              batchSize: 25,
              claim: claimUpdatedDids,
              handle: async (manager, item) => {
                doneBy.set(item.id, [...(doneBy.get(item.id) ?? []), thread]);
                await new Promise((r) => setTimeout(r, 2)); // the work takes a little while
                await manager.query(`DELETE FROM updated_dids WHERE id = $1`, [item.id]);
              },
            }),
        },
        { dataSource: db.dataSource, metrics: new DaemonMetrics(), logger: silentLogger },
      );
    const a = instance('a');
    const b = instance('b');
    const loops = [a.start(), b.start()];
    const deadline = Date.now() + 40_000;
    for (;;) {
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM updated_dids`);
      if (n === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all(loops);

    expect(doneBy.size).toBe(total);
    const twice = [...doneBy].filter(([, by]) => by.length > 1);
    expect(twice).toEqual([]);
    const byA = [...doneBy.values()].filter((by) => by[0] === 'a').length;
    const byB = total - byA;
    expect(byA).toBeGreaterThan(total * 0.2);
    expect(byB).toBeGreaterThan(total * 0.2);
  });

  it('rolls back a failing item alone; the rest of the batch commits', async () => {
    await db.dataSource.query(
      `INSERT INTO updated_dids (scope, name, rule_evaluation_action) VALUES ('user.jdoe', 'ok-1', 'A'), ('user.jdoe', 'bad', 'A'), ('user.jdoe', 'ok-2', 'A')`,
    );
    const errors: string[] = [];
    const result = await sweepSkipLocked(
      db.dataSource,
      {
        name: 'sweeper',
        thread: 'main',
        signal: new AbortController().signal,
        stopping: false,
        logger: { log: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
        heartbeat: async () => undefined,
        eachItem: async () => ({ done: 0, failed: 0, skipped: 0 }),
      },
      {
        what: 'test sweep',
        batchSize: 10,
        claim: claimUpdatedDids,
        describe: (item) => `user.jdoe:${item.name}`,
        handle: async (manager, item) => {
          await manager.query(`DELETE FROM updated_dids WHERE id = $1`, [item.id]);
          if (item.name === 'bad') throw new Error('cannot evaluate');
        },
      },
    );
    expect(result).toEqual({ didWork: true, items: 2, failedItems: 1 });
    expect(await db.dataSource.query(`SELECT name FROM updated_dids`)).toEqual([{ name: 'bad' }]);
    expect(errors).toEqual(['test sweep: failed on user.jdoe:bad: cannot evaluate']);
  });
});
