/**
 * Scenario "container", with all of Tarn running (embedded bus and Kafka): three datasets uploaded with the CLI (to a
 * posix and an S3 RSE) -> one container holding them -> a rule on the container copies every file to SAFE storage
 * -> `tarn download` of the container gets every file, byte-identical, from anywhere or from the SAFE copies only.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBusMode } from '@tarn/testing/tarn.js';
import { type Row, type Scenario, since, startScenario } from './support/scenario.js';

jest.setTimeout(120_000);

const SCOPE = 'survey';
const DATASETS: Record<string, { rse: string; files: number[] }> = {
  'field-a': { rse: 'SITE_POSIX', files: [1, 2048, 70_000] },
  'field-b': { rse: 'SITE_S3', files: [333, 150_000] },
  'field-c': { rse: 'SITE_POSIX', files: [0, 4096] },
};

describe.each<EventBusMode>(['embedded', 'kafka'])('scenario: container (%s)', (mode) => {
  let s: Scenario;
  const content = new Map<string, Buffer>();

  beforeAll(async () => {
    s = await startScenario(mode);
    await s.posixRse('SITE_POSIX');
    await s.s3Rse('SITE_S3');
    await s.posixRse('VAULT', { attributes: { QOS: 'SAFE' } });
    await s.cli.ok(['scope', 'add', SCOPE]);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('downloads every file of a container of three datasets, byte-identical', async () => {
    const t0 = Date.now();
    const { cli } = s;
    for (const [dataset, { rse, files }] of Object.entries(DATASETS)) {
      const dir = join(cli.home, 'in', dataset);
      mkdirSync(dir, { recursive: true });
      files.forEach((bytes, i) => {
        const name = `${dataset}.img${i}.fits`;
        const data = randomBytes(bytes);
        writeFileSync(join(dir, name), data);
        content.set(name, data);
      });
      const uploaded = await cli.json<Row[]>(['upload', dir, '--scope', SCOPE, '--rse', rse, '--dataset', dataset]);
      expect(uploaded.map((u) => u.state)).toEqual(files.map(() => 'AVAILABLE'));
    }
    await cli.ok(['did', 'add', `${SCOPE}:campaign-2026`, '--type', 'container', '--meta', 'campaign=2026']);
    await cli.ok(['did', 'attach', `${SCOPE}:campaign-2026`, ...Object.keys(DATASETS).map((d) => `${SCOPE}:${d}`)]);
    const listed = await cli.json<Row[]>(['did', 'list', `${SCOPE}:campaign-2026`, '--recursive']);
    expect(listed.filter((d) => String(d.type ?? d.did_type).toUpperCase() === 'FILE').map((d) => d.name).sort()).toEqual([...content.keys()].sort());

    // Everything, from wherever it is.
    const out = join(cli.home, 'out');
    const got = await cli.json<Row[]>(['download', `${SCOPE}:campaign-2026`, '--dir', out]);
    expect(got.map((g) => [g.name, g.action]).sort()).toEqual([...content.keys()].map((name) => [name, 'downloaded']).sort());
    for (const [name, data] of content) expect(readFileSync(join(out, SCOPE, name)).equals(data)).toBe(true);

    // A rule on the container copies the files of all three datasets; then the SAFE copies alone serve the download.
    const [ruleId] = await cli.json<string[]>(['rule', 'add', `${SCOPE}:campaign-2026`, '--rses', 'QOS=SAFE']);
    expect(await cli.json(['rule', 'show', ruleId, '--wait', '30s', '--interval', '0.2'])).toMatchObject({ state: 'OK', locks_ok_cnt: content.size, locks_stuck_cnt: 0 });
    const fromVault = join(cli.home, 'from-vault');
    const again = await cli.json<Row[]>(['download', `${SCOPE}:campaign-2026`, '--dir', fromVault, '--rses', 'VAULT']);
    expect(again.map((g) => [g.name, g.rse, g.action]).sort()).toEqual([...content.keys()].map((name) => [name, 'VAULT', 'downloaded']).sort());
    for (const [name, data] of content) expect(readFileSync(join(fromVault, SCOPE, name)).equals(data)).toBe(true);

    // Re-running the download skips what is complete and verified.
    const rerun = await cli.json<Row[]>(['download', `${SCOPE}:campaign-2026`, '--dir', out]);
    expect(new Set(rerun.map((g) => g.action))).toEqual(new Set(['skipped']));
    console.log(`container (${mode}): ${since(t0)}`);
  });
});
