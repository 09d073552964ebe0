/**
 * Scenario "zero-copy", with all of Tarn running (embedded bus and Kafka): files a DAQ wrote to a non-deterministic
 * RSE are registered where they are by a hook (checksums computed from storage, metadata and datasets from the
 * path), nothing is copied or moved on that RSE, and the hook's rule copies them to an S3 RSE, byte-identical.
 */
import { jest } from '@jest/globals';
import { checksumStream } from '@tarn/checksums';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { EventBusMode } from '@tarn/testing/tarn.js';
import { filesBelow, readPfn, replicas, type Row, type Scenario, since, startScenario } from './support/scenario.js';

jest.setTimeout(120_000);

const adler32 = async (bytes: Buffer) => (await checksumStream(Readable.from([bytes]), ['adler32'])).adler32;

const FILES = ['run_000101/frame_01.dat', 'run_000101/frame_02.dat', 'run_000102/frame_01.dat'];

describe.each<EventBusMode>(['embedded', 'kafka'])('scenario: zero-copy registration (%s)', (mode) => {
  let s: Scenario;
  let daq: { root: string };
  const content = new Map<string, Buffer>();

  beforeAll(async () => {
    s = await startScenario(mode);
    daq = await s.posixRse('DAQ_DISK', { nonDeterministic: true });
    await s.s3Rse('ARCHIVE_S3', { attributes: { QOS: 'SAFE' } });
    await s.cli.ok(['scope', 'add', 'daq']);
    FILES.forEach((file, i) => {
      const path = join(daq.root, 'incoming', file);
      mkdirSync(dirname(path), { recursive: true });
      const bytes = randomBytes(4096 + 31337 * i);
      writeFileSync(path, bytes);
      content.set(file, bytes);
    });
    writeFileSync(join(daq.root, 'incoming', 'run_000101', 'notes.txt'), 'not data');
  });

  afterAll(async () => {
    await s?.close();
  });

  it('registers the files in place with their checksums and copies them to another RSE byte for byte', async () => {
    const t0 = Date.now();
    const { cli } = s;
    const before = await filesBelow(daq.root);
    await cli.ok([
      'hook', 'add', 'daq-runs',
      '--schedule', '*/10 * * * *',
      '--source-rse', 'DAQ_DISK',
      '--prefix', 'incoming',
      '--glob', '**/*.dat',
      '--scope', 'daq',
      '--did-name', 'run{run}.{basename}',
      '--dataset', 'run{run}',
      '--pattern', '^run_(?<run>\\d+)/',
      '--meta', 'detector=north',
      '--checksum', 'compute',
      '--rule', '1@QOS=SAFE',
    ]);
    const run = await cli.json(['hook', 'run', 'daq-runs', '--wait', '30s', '--interval', '0.2']);
    expect(run).toMatchObject({ state: 'DONE', filesListed: 3, filesRegistered: 3, filesFailed: 0, datasetsCreated: 2, rulesCreated: 2 });

    const didOf = (file: string) => `daq:run${/run_(\d+)/.exec(file)![1]}.${file.split('/')[1]}`;
    const shown = await cli.json(['did', 'show', didOf(FILES[1])]);
    expect(shown).toMatchObject({ bytes: content.get(FILES[1])!.length, adler32: await adler32(content.get(FILES[1])!) });
    expect(shown.meta).toMatchObject({ run: '000101', detector: 'north' }); // leading zeros keep the group a string

    const rules = await cli.json<Row[]>(['rule', 'list', '--did', 'daq:run000101']);
    expect(rules).toHaveLength(1);
    for (const dataset of ['daq:run000101', 'daq:run000102']) {
      const [rule] = await cli.json<Row[]>(['rule', 'list', '--did', dataset]);
      expect(await cli.json(['rule', 'show', rule.id, '--wait', '30s', '--interval', '0.2'])).toMatchObject({ state: 'OK', locks_stuck_cnt: 0 });
    }

    // The source RSE holds exactly what the DAQ wrote, where it wrote it; the registered replicas point there.
    expect(await filesBelow(daq.root)).toEqual(before);
    const rows = await replicas(cli, ['daq:run000101', 'daq:run000102']);
    expect(rows.map((r) => [`${r.scope}:${r.name}`, r.rse, r.state]).sort()).toEqual(
      FILES.flatMap((f) => [[didOf(f), 'ARCHIVE_S3', 'AVAILABLE'], [didOf(f), 'DAQ_DISK', 'AVAILABLE']]).sort(),
    );
    for (const r of rows) {
      const file = FILES.find((f) => didOf(f) === `${r.scope}:${r.name}`)!;
      expect(r.adler32).toBe(await adler32(content.get(file)!));
      if (r.rse === 'DAQ_DISK') expect(new URL(r.pfn).pathname).toBe(join(daq.root, 'incoming', file));
      // Byte-identical at the destination, read straight from the S3 bucket.
      expect((await readPfn(r.pfn)).equals(content.get(file)!)).toBe(true);
    }

    // And through the CLI from the destination only.
    const out = join(cli.home, 'from-archive');
    const got = await cli.json<Row[]>(['download', 'daq:run000101', 'daq:run000102', '--dir', out, '--rses', 'ARCHIVE_S3']);
    expect(got.map((g) => [g.rse, g.action])).toEqual(FILES.map(() => ['ARCHIVE_S3', 'downloaded']));
    for (const file of FILES) expect(readFileSync(join(out, 'daq', didOf(file).split(':')[1])).equals(content.get(file)!)).toBe(true);

    // A second run takes nothing in twice.
    expect(await cli.json(['hook', 'run', 'daq-runs', '--wait', '30s', '--interval', '0.2'])).toMatchObject({ state: 'DONE', filesRegistered: 0, filesSkipped: 3 });
    console.log(`zero-copy (${mode}): ${since(t0)}`);
  });
});
