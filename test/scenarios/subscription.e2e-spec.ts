/**
 * Scenario "subscription", with all of Tarn running (embedded bus and Kafka): new files with matching metadata land
 * on a greedy landing RSE with a short lifetime -> the subscription's QOS=FAST rule copies them -> the landing copies
 * are deleted in bulk after, and never before, their FAST copy is AVAILABLE. A watcher polls storage and catalogue
 * the whole time: at no moment is a file's landing copy gone while its FAST copy is not AVAILABLE.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deterministicPath } from '@tarn/domain';
import type { EventBusMode } from '@tarn/testing/tarn.js';
import { readPfn, replicas, type Row, type Scenario, since, startScenario, waitFor } from './support/scenario.js';

jest.setTimeout(120_000);

const SCOPE = 'obs';
const LANDING_LIFETIME = 5;
const RAW = ['raw_01.bin', 'raw_02.bin', 'raw_03.bin', 'raw_04.bin', 'raw_05.bin', 'raw_06.bin'];
const CALIB = 'calib_01.bin';

interface FileWatch {
  /** The landing copy was seen on storage (the upload wrote it). */
  seen?: boolean;
  fastAvailableAt?: number;
  landingGoneAt?: number;
  violation?: string;
}

/** Polls, per file: the landing copy on storage first, then the FAST replica's state (so a gap is never a false alarm). */
function watch(s: Scenario, landingRoot: string): { files: Map<string, FileWatch>; stop(): Promise<void> } {
  const files = new Map(RAW.map((name) => [name, {} as FileWatch]));
  let running = true;
  let passes = 0;
  const loop = (async () => {
    // One more pass after stop(): what the caller saw last is seen here too.
    for (let last = false; !last; ) {
      last = !running;
      passes++;
      const onStorage = new Map(RAW.map((name) => [name, existsSync(join(landingRoot, deterministicPath(SCOPE, name)))]));
      const rows: Array<{ name: string }> = await s.db.dataSource.query(
        `SELECT r.name FROM replicas r JOIN rses e ON e.id = r.rse_id WHERE r.scope = $1 AND e.rse = 'FAST_S3' AND r.state = 'A'`,
        [SCOPE],
      );
      const now = Date.now();
      const available = new Set(rows.map((r) => r.name));
      for (const [name, w] of files) {
        if (available.has(name)) w.fastAvailableAt ??= now;
        if (onStorage.get(name)) w.seen = true;
        else if (w.seen) {
          w.landingGoneAt ??= now;
          if (!available.has(name)) w.violation ??= `${name}: the landing copy is gone while the FAST copy is not AVAILABLE`;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    files,
    async stop() {
      running = false;
      await loop;
      console.log(`subscription watcher: ${passes} passes over storage and catalogue`);
    },
  };
}

describe.each<EventBusMode>(['embedded', 'kafka'])('scenario: subscription (%s)', (mode) => {
  let s: Scenario;
  let landing: { root: string };
  const content = new Map<string, Buffer>();

  beforeAll(async () => {
    s = await startScenario(mode);
    landing = await s.posixRse('LANDING', { attributes: { greedyDeletion: 'true' } });
    await s.s3Rse('FAST_S3', { attributes: { QOS: 'FAST' } });
    await s.cli.ok(['scope', 'add', SCOPE]);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('copies matching new files to FAST and deletes the landing copies only after', async () => {
    const t0 = Date.now();
    const { cli } = s;
    const id = (await cli.ok(['subscription', 'add', 'raw-to-fast', '--scope', SCOPE, '--did-type', 'FILE', '--meta', 'datatype=RAW', '--rule', '1@QOS=FAST'])).trim();
    expect(id).toMatch(/^[0-9a-f-]{32,36}$/);

    const incoming = join(cli.home, 'incoming');
    mkdirSync(join(incoming, 'raw'), { recursive: true });
    mkdirSync(join(incoming, 'calib'), { recursive: true });
    RAW.forEach((name, i) => {
      const bytes = randomBytes(2000 + 1013 * i);
      writeFileSync(join(incoming, 'raw', name), bytes);
      content.set(name, bytes);
    });
    writeFileSync(join(incoming, 'calib', CALIB), randomBytes(500));

    // The link to FAST is busy (throttled to 0 transfers): the landing rules expire before any copy is made.
    await s.db.dataSource.query(`INSERT INTO configs (section, opt, value, updated_at) VALUES ('throttler', 'FAST_S3', '0', now())`);
    const watcher = watch(s, landing.root);
    try {
      await cli.ok(['upload', join(incoming, 'raw'), '--scope', SCOPE, '--rse', 'LANDING', '--lifetime', `${LANDING_LIFETIME}s`, '--meta', 'datatype=RAW']);
      await cli.ok(['upload', join(incoming, 'calib'), '--scope', SCOPE, '--rse', 'LANDING', '--lifetime', `${LANDING_LIFETIME}s`, '--meta', 'datatype=CALIB']);
      const uploadedAt = Date.now();

      // The calibration file (no subscription, its rule expired after the RAW ones) is reaped from the greedy RSE;
      // the RAW files, tombstoned too, stay: their queued FAST transfers need them as their only source.
      const calibPath = join(landing.root, deterministicPath(SCOPE, CALIB));
      // The reaper deletes the file, then its row (when that batch commits): wait for both.
      const calibRows = async () =>
        Number(
          (
            await s.db.dataSource.query(
              `SELECT count(*) AS n FROM replicas r JOIN rses e ON e.id = r.rse_id WHERE e.rse = 'LANDING' AND r.scope = $1 AND r.name = $2`,
              [SCOPE, CALIB],
            )
          )[0].n,
        );
      await waitFor('the calibration file to be reaped', async () => !existsSync(calibPath) && (await calibRows()) === 0, LANDING_LIFETIME * 1000 + 20_000);
      const held: Array<{ name: string; tombstone: Date | null; lock_cnt: number }> = await s.db.dataSource.query(
        `SELECT r.name, r.tombstone, r.lock_cnt FROM replicas r JOIN rses e ON e.id = r.rse_id WHERE e.rse = 'LANDING' AND r.scope = $1 ORDER BY r.name`,
        [SCOPE],
      );
      expect(held.map((r) => [r.name, r.lock_cnt, r.tombstone !== null])).toEqual(RAW.map((name) => [name, 0, true]));
      for (const name of RAW) expect(existsSync(join(landing.root, deterministicPath(SCOPE, name)))).toBe(true);
      expect([...watcher.files.values()].every((w) => w.fastAvailableAt === undefined)).toBe(true);

      // The link frees up: the copies are made, then the landing copies go, in bulk.
      await s.db.dataSource.query(`DELETE FROM configs WHERE section = 'throttler'`);
      const landingRows = async () =>
        Number(
          (
            await s.db.dataSource.query(`SELECT count(*) AS n FROM replicas r JOIN rses e ON e.id = r.rse_id WHERE e.rse = 'LANDING' AND r.scope = $1`, [SCOPE])
          )[0].n,
        );
      await waitFor(
        'the landing copies to be deleted (files, then their rows and events)',
        async () => RAW.every((name) => !existsSync(join(landing.root, deterministicPath(SCOPE, name)))) && (await landingRows()) === 0,
        30_000,
      );
      console.log(`subscription (${mode}): landing emptied ${since(uploadedAt)} after the uploads`);
    } finally {
      await watcher.stop();
    }

    // Never a moment without an AVAILABLE copy; each landing copy went after its FAST copy was AVAILABLE.
    const observed = [...watcher.files].map(([name, w]) => ({
      name,
      violation: w.violation ?? null,
      fastAvailable: w.fastAvailableAt !== undefined,
      landingGone: w.landingGoneAt !== undefined,
      goneAfterAvailable: w.landingGoneAt !== undefined && w.fastAvailableAt !== undefined && w.landingGoneAt >= w.fastAvailableAt,
    }));
    expect(observed).toEqual(RAW.map((name) => ({ name, violation: null, fastAvailable: true, landingGone: true, goneAfterAvailable: true })));
    // The same order from the events Tarn wrote: replica.available on FAST_S3 before deletion.done on LANDING.
    const events: Array<{ name: string; type: string; rse: string; at: Date }> = await s.db.dataSource.query(
      `SELECT payload->>'name' AS name, event_type AS type, payload->>'rse' AS rse, created_at AS at FROM outbox_messages
        WHERE event_type IN ('replica.available', 'deletion.done') AND payload->>'scope' = $1 ORDER BY id`,
      [SCOPE],
    );
    for (const name of RAW) {
      const available = events.find((e) => e.name === name && e.type === 'replica.available' && e.rse === 'FAST_S3');
      const deleted = events.find((e) => e.name === name && e.type === 'deletion.done' && e.rse === 'LANDING');
      expect(available && deleted).toBeTruthy();
      expect(new Date(deleted!.at).getTime()).toBeGreaterThanOrEqual(new Date(available!.at).getTime());
    }

    // What is left: the RAW files on FAST only, byte-identical; the calibration file matched nothing and is gone.
    const rows = await replicas(cli, RAW.map((name) => `${SCOPE}:${name}`));
    expect(rows.map((r) => [r.name, r.rse, r.state]).sort()).toEqual(RAW.map((name) => [name, 'FAST_S3', 'AVAILABLE']));
    for (const r of rows) expect((await readPfn(r.pfn)).equals(content.get(r.name)!)).toBe(true);
    expect((await replicas(cli, [`${SCOPE}:${CALIB}`])).map((r) => r.rse)).toEqual([null]);

    // The subscription made one OK rule per RAW file, and none for the calibration file.
    const shown = await cli.json<Row>(['subscription', 'show', 'raw-to-fast']);
    expect(shown).toMatchObject({ id, name: 'raw-to-fast', state: 'ACTIVE', filter: { scope: [SCOPE], did_type: 'FILE', datatype: ['RAW'] } });
    expect(shown.rules.map((r: Row) => [r.name, r.rse_expression, r.state]).sort()).toEqual(RAW.map((name) => [name, 'QOS=FAST', 'OK']));
    console.log(`subscription (${mode}): ${since(t0)} in all`);
  });
});
