/**
 * The daemon runner on real PostgreSQL: its heartbeat row lives as long as the loop (refreshed while it
 * sleeps), a failing pass backs off and is logged once per streak, wake() cuts the idle sleep short,
 * stop() lets the item in hand finish, and passes, items, errors and durations reach the metrics.
 */
import { jest } from '@jest/globals';
import { hostname } from 'node:os';
import { DaemonMetrics, DaemonRunner, type DaemonDefinition, type PassResult } from '@tarn/daemon';
import type { Logger } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(`log ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

describe('DaemonRunner', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  function runner(definition: Partial<DaemonDefinition> & Pick<DaemonDefinition, 'name' | 'runOnce'>, extra: { logger?: Logger; metrics?: DaemonMetrics; heartbeatIntervalMs?: number } = {}) {
    return new DaemonRunner({ intervalMs: 60_000, ...definition }, { dataSource: db.dataSource, metrics: extra.metrics ?? new DaemonMetrics(), logger: extra.logger ?? recordingLogger(), heartbeatIntervalMs: extra.heartbeatIntervalMs });
  }

  async function heartbeat(name: string): Promise<{ hostname: string; pid: number; thread: string; updated_at: Date }[]> {
    return db.dataSource.query(`SELECT hostname, pid, thread, updated_at FROM heartbeats WHERE executable = $1`, [name]);
  }

  it('keeps a heartbeat row while it runs, refreshed while it sleeps, and removes it on a clean stop', async () => {
    const r = runner({ name: 'beater', runOnce: async () => ({ didWork: false }) }, { heartbeatIntervalMs: 150 });
    const loop = r.start();
    await sleep(100);
    const [first] = await heartbeat('beater');
    expect(first).toMatchObject({ hostname: hostname(), pid: process.pid, thread: 'main' });
    await sleep(400);
    const [later] = await heartbeat('beater');
    expect(later.updated_at.getTime()).toBeGreaterThan(first.updated_at.getTime());
    await r.stop();
    await loop;
    expect(await heartbeat('beater')).toEqual([]);
  });

  it('backs off after failing passes, logs the streak once, survives and recovers', async () => {
    const logger = recordingLogger();
    const metrics = new DaemonMetrics();
    let calls = 0;
    const passTimes: number[] = [];
    const r = runner(
      {
        name: 'flaky',
        backoffInitialMs: 40,
        backoffMaxMs: 1000,
        runOnce: async () => {
          passTimes.push(Date.now());
          calls++;
          if (calls <= 4) throw new Error('the catalogue is unreachable');
          return { didWork: false };
        },
      },
      { logger, metrics },
    );
    const loop = r.start();
    while (calls < 5) await sleep(20);
    await r.stop();
    await loop;
    const gaps = passTimes.slice(1, 5).map((t, i) => t - passTimes[i]);
    // 40, 80, 160, 320 ms (+-20% jitter): each wait at least its doubled share (a busy machine only lengthens them),
    // and the last one far longer than the first, which a constant back-off would not give.
    [40, 80, 160, 320].forEach((nominal, i) => expect(gaps[i]).toBeGreaterThanOrEqual(nominal * 0.8 - 2));
    expect(gaps[3]).toBeGreaterThan(gaps[0] * 2);
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual(['error pass failed: the catalogue is unreachable; retrying with backoff']);
    expect(logger.lines).toContainEqual(expect.stringMatching(/^log recovered after 4 failed pass\(es\)/));
    expect(await metrics.text()).toMatch(/tarn_daemon_errors_total\{daemon="flaky"\} 4/);
  });

  it('runs back to back while there is work, and is woken early from its idle sleep', async () => {
    let backlog = 3;
    let passes = 0;
    const r = runner({
      name: 'woken',
      runOnce: async (): Promise<PassResult> => {
        passes++;
        if (backlog === 0) return { didWork: false };
        backlog--;
        return { didWork: true, items: 1 };
      },
    });
    const loop = r.start();
    await sleep(200);
    expect(passes).toBe(4); // three with work back to back, one finding none; now asleep for a minute
    backlog = 1;
    r.wake();
    await sleep(100);
    expect(passes).toBe(6);
    await r.stop();
    await loop;
  });

  it('finishes the item in hand on stop, starts no other, then exits', async () => {
    const done: number[] = [];
    let started = 0;
    const r = runner({
      name: 'careful',
      runOnce: async (ctx) => {
        const outcome = await ctx.eachItem([1, 2, 3, 4, 5], async (item) => {
          started = item;
          await sleep(150);
          done.push(item);
        });
        return { didWork: true, items: outcome.done };
      },
    });
    const loop = r.start();
    while (started < 2) await sleep(10);
    const stopped = r.stop();
    await stopped;
    await loop;
    expect(done).toEqual([1, 2]);
    expect(await heartbeat('careful')).toEqual([]);
  });

  it('isolates failing items and counts them; runOnce() runs a single pass for tests and --once', async () => {
    const metrics = new DaemonMetrics();
    const logger = recordingLogger();
    const r = runner(
      {
        name: 'once',
        runOnce: async (ctx) => {
          const outcome = await ctx.eachItem(
            ['a', 'b', 'c'],
            async (item) => {
              if (item === 'b') throw new Error('b is broken');
            },
            (item) => `file user.jdoe:${item}`,
          );
          return { didWork: true, items: outcome.done, failedItems: outcome.failed };
        },
      },
      { metrics, logger },
    );
    expect(await r.runOnce()).toEqual({ didWork: true, items: 2, failedItems: 1 });
    expect(await heartbeat('once')).toHaveLength(1);
    expect(logger.lines).toEqual(['error failed on file user.jdoe:b: b is broken']);
    const text = await metrics.text();
    expect(text).toMatch(/tarn_daemon_passes_total\{daemon="once"\} 1/);
    expect(text).toMatch(/tarn_daemon_items_total\{daemon="once"\} 2/);
    expect(text).toMatch(/tarn_daemon_errors_total\{daemon="once"\} 1/);
    expect(text).toMatch(/tarn_daemon_pass_duration_seconds_count\{daemon="once"\} 1/);
    await r.stop();
    expect(await heartbeat('once')).toEqual([]);

    const failing = runner({ name: 'once-failing', runOnce: async () => Promise.reject(new Error('no storage')) });
    await expect(failing.runOnce()).rejects.toThrow('no storage');
    await failing.stop();
  });
});
