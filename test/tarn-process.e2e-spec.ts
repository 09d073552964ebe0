/**
 * All of Tarn in one process (what `npm start` runs), on the PostgreSQL bus and on Kafka: every daemon of
 * the list (apps/tarn/src/daemon-list.ts) registers and runs, the API answers, and closing stops them all. As a real
 * process, one health and metrics server serves the daemons' and the API's metrics.
 */
import { jest } from '@jest/globals';
import { DaemonRegistry } from '@tarn/daemon';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { startDaemonProcess } from '@tarn/testing/daemon-process.js';
import { freePort } from '@tarn/testing/disposable-postgres.js';
import { startTestTarn, type EventBusMode } from '@tarn/testing/tarn.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './scenarios/support/scenario.js';
import { DAEMONS } from '../apps/tarn/src/daemon-list.js';

jest.setTimeout(120_000);

describe.each<EventBusMode>(['embedded', 'kafka'])('Tarn in one process (%s)', (mode) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('runs every daemon beside the API and stops them on close', async () => {
    const tarn = await startTestTarn(db, mode);
    try {
      const registry = tarn.app.get(DaemonRegistry);
      const daemons = registry.list();
      // Exactly the daemons of the one list, each once.
      expect(daemons.map((d) => d.name).sort()).toEqual(DAEMONS.map((d) => d.name).sort());
      expect(daemons.filter((d) => !d.running).map((d) => d.name)).toEqual([]);
      const health = await fetch(`${tarn.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    } finally {
      await tarn.close();
    }
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM heartbeats`);
    expect(n).toBe(0);
  });
});

describe('npm start: all of Tarn as one process', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it("serves the API's and every daemon's metrics on its one metrics port", async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const home = mkdtempSync(join(tmpdir(), 'tarn-process-home-'));
    const tarn = startDaemonProcess('tarn', db.url, { TARN_HOME: home, TARN_HOST: '127.0.0.1', TARN_PORT: String(apiPort), TARN_METRICS_PORT: String(metricsPort) });
    try {
      await waitFor('Tarn answering', async () => (await fetch(`http://127.0.0.1:${apiPort}/ping`).catch(() => null))?.ok, 60_000).catch((error) => {
        throw new Error(`${error.message}\n${tarn.output()}`);
      });
      const text = await waitFor('every daemon in the metrics', async () => {
        const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return DAEMONS.every((d) => body.includes(`tarn_daemon_up{daemon="${d.name}"}`)) && body;
      });
      expect(text).toMatch(/^tarn_api_requests_total\{method="GET",route="\/ping",status="200"\} \d+$/m);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/health/ready`)).status).toBe(200);
    } finally {
      tarn.child.kill('SIGTERM');
      await tarn.exited;
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses to start on a catalogue with pending migrations, in one line that says what to run', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    const home = mkdtempSync(join(tmpdir(), 'tarn-process-home-'));
    try {
      const tarn = startDaemonProcess('tarn', fresh.url, { TARN_HOME: home, TARN_HOST: '127.0.0.1', TARN_PORT: String(await freePort()) });
      expect(await tarn.exited).toBe(1);
      const lines = tarn.output().trim().split('\n').filter((line) => !/^\(node:\d+\)|^\(Use `node/.test(line));
      expect(lines).toEqual([expect.stringMatching(/^Tarn did not start: The catalogue database has \d+ migration\(s\) not applied \(.*\)\. Run `npm run migrate`/)]);
    } finally {
      rmSync(home, { recursive: true, force: true });
      await fresh.drop();
    }
  });
});
