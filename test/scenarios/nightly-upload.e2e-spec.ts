/**
 * Scenario "nightly upload", with all of Tarn running (embedded bus and Kafka): a drop-box hook uploads the files
 * of two nights into one dataset per night on SAFE storage, with a long rule on QOS=SAFE and a short one on QOS=FAST
 * -> both rules OK -> the FAST lifetime passes -> the FAST copies are reaped from storage (a greedy scratch RSE),
 * the SAFE copies stay, and the drop-box files are removed once verified.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBusMode } from '@tarn/testing/tarn.js';
import { filesBelow, readPfn, replicas, type Row, type Scenario, since, startScenario, waitFor } from './support/scenario.js';

jest.setTimeout(120_000);

const FAST_LIFETIME = 12;
const NIGHTS: Record<string, string[]> = { '2026-11-20': ['cam1_0001.fits', 'cam1_0002.fits'], '2026-11-21': ['cam1_0003.fits', 'cam1_0004.fits'] };

describe.each<EventBusMode>(['embedded', 'kafka'])('scenario: nightly upload (%s)', (mode) => {
  let s: Scenario;
  let safe: { root: string };
  let fast: { root: string };
  let dropbox: string;
  const content = new Map<string, Buffer>();

  beforeAll(async () => {
    s = await startScenario(mode);
    safe = await s.posixRse('ARCHIVE_SAFE', { attributes: { QOS: 'SAFE' } });
    fast = await s.posixRse('SCRATCH_FAST', { attributes: { QOS: 'FAST', greedyDeletion: 'true' } });
    await s.cli.ok(['scope', 'add', 'tel.north']);
    dropbox = join(s.cli.home, 'outbox');
    for (const [night, files] of Object.entries(NIGHTS)) {
      mkdirSync(join(dropbox, night), { recursive: true });
      files.forEach((file, i) => {
        const bytes = randomBytes(1000 + 7919 * i);
        const path = join(dropbox, night, file);
        writeFileSync(path, bytes);
        const mtime = new Date(`${night}T23:30:00Z`);
        utimesSync(path, mtime, mtime);
        content.set(file, bytes);
      });
    }
  });

  afterAll(async () => {
    await s?.close();
  });

  it('uploads each night into its dataset, keeps SAFE, replicates to FAST, and reaps FAST after its lifetime', async () => {
    const t0 = Date.now();
    const { cli } = s;
    await cli.ok([
      'hook', 'add', 'outbox-nightly',
      '--schedule', '0 2 * * *',
      '--dropbox', dropbox,
      '--glob', '**/*.fits',
      '--scope', 'tel.north',
      '--rse', 'ARCHIVE_SAFE',
      '--dataset', 'night.{date}',
      '--meta', 'instrument=cam1',
      '--rule', '1@QOS=SAFE~30d',
      '--rule', `1@QOS=FAST~${FAST_LIFETIME}s`,
      '--remove-source',
    ]);
    const run = await cli.json(['hook', 'run', 'outbox-nightly', '--wait', '30s', '--interval', '0.2']);
    expect(run).toMatchObject({ state: 'DONE', trigger: 'MANUAL', filesListed: 4, filesRegistered: 4, filesFailed: 0, datasetsCreated: 2, rulesCreated: 4 });
    const ranAt = Date.now();

    // One dataset per night, each with its two rules; both reach OK.
    const datasets = Object.keys(NIGHTS).map((night) => `tel.north:night.${night}`);
    const rules = (await cli.json<Row[]>(['rule', 'list', '--did', datasets[0]])).concat(await cli.json<Row[]>(['rule', 'list', '--did', datasets[1]]));
    expect(rules.map((r) => [r.name, r.rse_expression]).sort()).toEqual(
      datasets.flatMap((d) => [[d.split(':')[1], 'QOS=FAST'], [d.split(':')[1], 'QOS=SAFE']]).sort(),
    );
    for (const rule of rules) {
      const shown = await cli.json(['rule', 'show', rule.id, '--wait', '20s', '--interval', '0.2']);
      expect(shown).toMatchObject({ state: 'OK', locks_ok_cnt: 2, locks_stuck_cnt: 0 });
    }
    const okAt = Date.now();
    expect(okAt - ranAt).toBeLessThan(FAST_LIFETIME * 1000); // both were OK before FAST expired

    // Both copies are on storage, byte-identical.
    const all = await replicas(cli, datasets);
    expect(all.map((r) => [r.name, r.rse, r.state]).sort()).toEqual(
      [...content.keys()].flatMap((name) => [[name, 'ARCHIVE_SAFE', 'AVAILABLE'], [name, 'SCRATCH_FAST', 'AVAILABLE']]).sort(),
    );
    for (const r of all) expect((await readPfn(r.pfn)).equals(content.get(r.name)!)).toBe(true);
    expect(await filesBelow(fast.root)).toHaveLength(4);

    // The drop-box files go once verified on ARCHIVE_SAFE (at the end of the run, or by the next one); nothing is taken in twice.
    const second = await cli.json(['hook', 'run', 'outbox-nightly', '--wait', '30s', '--interval', '0.2']);
    expect(second).toMatchObject({ state: 'DONE', filesRegistered: 0, filesFailed: 0 });
    expect(run.sourcesRemoved + second.sourcesRemoved).toBe(4);
    for (const [night, files] of Object.entries(NIGHTS)) for (const file of files) expect(existsSync(join(dropbox, night, file))).toBe(false);

    // FAST expires: its rules go, the greedy scratch RSE is emptied on storage and in the catalogue; SAFE stays.
    await waitFor('the FAST copies to be reaped from storage', async () => (await filesBelow(fast.root)).length === 0, FAST_LIFETIME * 1000 + 20_000);
    const reapedAt = Date.now();
    const left = await waitFor('the FAST replicas to leave the catalogue', async () => {
      const rows = await replicas(cli, datasets);
      return rows.every((r) => r.rse === 'ARCHIVE_SAFE') && rows;
    });
    expect(left.map((r) => [r.name, r.state]).sort()).toEqual([...content.keys()].map((name) => [name, 'AVAILABLE']).sort());
    for (const r of left) expect((await readPfn(r.pfn)).equals(content.get(r.name)!)).toBe(true);
    expect(await filesBelow(safe.root)).toHaveLength(4);
    const remaining = (await cli.json<Row[]>(['rule', 'list', '--did', datasets[0]])).concat(await cli.json<Row[]>(['rule', 'list', '--did', datasets[1]]));
    expect(remaining.map((r) => [r.rse_expression, r.state])).toEqual([['QOS=SAFE', 'OK'], ['QOS=SAFE', 'OK']]);
    const deletions = await s.db.dataSource.query(
      `SELECT payload->>'name' AS name, payload->>'rse' AS rse FROM outbox_messages WHERE event_type = 'deletion.done' ORDER BY 1`,
    );
    expect(deletions).toEqual([...content.keys()].sort().map((name) => ({ name, rse: 'SCRATCH_FAST' })));
    console.log(`nightly-upload (${mode}): rules OK ${((okAt - t0) / 1000).toFixed(1)} s after the hook was added; FAST reaped ${((reapedAt - okAt) / 1000).toFixed(1)} s after OK; ${since(t0)} in all`);
  });
});
