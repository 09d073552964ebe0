/**
 * All of Tarn in one process (what `npm start` runs), on the PostgreSQL bus and on Kafka: every daemon of
 * apps/tarn registers and runs, the API answers, and closing stops them all.
 */
import { jest } from '@jest/globals';
import { DaemonRegistry } from '@tarn/daemon';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { startTestTarn, type EventBusMode } from '@tarn/testing/tarn.js';
import { DAEMON_MODULES } from '../apps/tarn/src/daemon-modules.js';

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
      expect(daemons).toHaveLength(DAEMON_MODULES.length); // one daemon per module
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
