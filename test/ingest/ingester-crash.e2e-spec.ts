/**
 * The ingester process (apps/ingester/src/main.ts, run from source in a child process) is killed with SIGKILL in the
 * middle of a zero-copy run, while files it claimed are being registered. A restarted ingester finishes the run, and
 * every file is registered exactly once: one DID, one replica, one attachment and one mention in a files.created event each.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { ingestContext, type IngestContext, sleep, writeFiles } from './support/ingest-fixtures.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';

jest.setTimeout(240_000);

const FILES = 3000;

describe('ingester killed mid-run', () => {
  let t: IngestContext;
  const children: ChildProcess[] = [];

  function startIngester(): DaemonProcess {
    const started = startDaemonProcess('ingester', t.db.url, {
      TARN_INGESTER_INTERVAL_SECONDS: '1',
      TARN_INGESTER_BATCH: '50',
    });
    children.push(started.child);
    return started;
  }

  const fileStates = async (): Promise<{ pending: number; all: number; done: number }> => {
    const [row] = await t.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE state = 'P')::int AS pending, count(*) FILTER (WHERE state = 'D')::int AS done, count(*)::int AS "all" FROM ingested_files`,
    );
    return row;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await t.db.dataSource.query(sql, params))[0].n);

  beforeAll(async () => {
    t = await ingestContext();
    await writeFiles(
      t.disk.dir,
      Array.from({ length: FILES }, (_, i) => `user/jdoe/incoming/batch${Math.floor(i / 1000)}/f${String(i).padStart(5, '0')}.dat`),
    );
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t?.close();
  });

  it('registers every file exactly once after SIGKILL and a restart', async () => {
    const hook = await t.hooks.createHook(t.user.issuer, {
      name: 'crash',
      schedule: '0 4 * * *',
      source: { rse: 'TELESCOPE_DISK', prefix: 'user/jdoe/incoming' },
      target: { scope: t.scope, name: 'crash.{stem}', dataset: 'crash.{dir}' },
      rules: [{ copies: 1, rse_expression: 'QOS=SAFE' }],
    });
    await t.hooks.requestRun(t.user.issuer, 'crash');

    const first = startIngester();
    // Kill it while it holds claimed files whose registration is not finished (state P), part-way through.
    const deadline = Date.now() + 120_000;
    let states = await fileStates();
    while (!(states.pending > 0 && states.all >= FILES / 5) && Date.now() < deadline && first.child.exitCode === null) {
      await sleep(5);
      states = await fileStates();
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const atKill = await fileStates();
    expect(atKill.all).toBeLessThan(FILES);
    expect(atKill.pending).toBeGreaterThan(0);
    const [abandoned] = await t.db.dataSource.query(`SELECT state FROM hook_runs WHERE hook_id = $1`, [hook.id]);
    expect(abandoned.state).toBe('RUNNING');

    const second = startIngester();
    const deadline2 = Date.now() + 150_000;
    while (Date.now() < deadline2) {
      const [run] = await t.db.dataSource.query(`SELECT state FROM hook_runs WHERE hook_id = $1 ORDER BY started_at DESC LIMIT 1`, [hook.id]);
      if (run?.state === 'DONE') break;
      await sleep(100);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const runs = await t.db.dataSource.query(
      `SELECT state, trigger, files_registered, files_failed, errors FROM hook_runs WHERE hook_id = $1 ORDER BY started_at`,
      [hook.id],
    );
    expect(runs.map((r: { state: string }) => r.state)).toEqual(['ABANDONED', 'DONE']);
    expect(runs[1].files_failed).toBe(0);
    expect(await fileStates()).toEqual({ pending: 0, done: FILES, all: FILES });

    // Exactly once: one DID, one replica, one attachment, one mention in a files.created event per file.
    expect(await count(`SELECT count(*) AS n FROM dids WHERE scope = $1 AND did_type = 'F'`, [t.scope])).toBe(FILES);
    expect(await count(`SELECT count(*) AS n FROM replicas WHERE scope = $1 AND rse_id = $2`, [t.scope, t.disk.id])).toBe(FILES);
    expect(await count(`SELECT count(*) AS n FROM contents WHERE scope = $1`, [t.scope])).toBe(FILES);
    const events = await t.db.dataSource.query(
      `SELECT n.name, count(*)::int AS n FROM outbox_messages o, jsonb_array_elements_text(o.payload->'names') AS n(name)
        WHERE o.event_type = 'files.created' GROUP BY 1`,
    );
    expect(events).toHaveLength(FILES);
    expect(events.filter((e: { n: number }) => e.n !== 1)).toEqual([]);
    // Each dataset got its rule once.
    expect(await t.db.dataSource.query(`SELECT name, count(*)::int AS n FROM rules WHERE scope = $1 GROUP BY name ORDER BY name`, [t.scope])).toEqual([
      { name: 'crash.batch0', n: 1 },
      { name: 'crash.batch1', n: 1 },
      { name: 'crash.batch2', n: 1 },
    ]);
    console.log(
      `ingester crash test: killed with ${atKill.all} of ${FILES} files claimed (${atKill.pending} mid-registration); ` +
        `restarted run registered ${runs[1].files_registered}, all ${FILES} registered once`,
    );
  });
});
