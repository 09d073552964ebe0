/**
 * All of Tarn in one process (what `npm start` runs), on the PostgreSQL bus and on Kafka: every daemon of
 * the list (apps/tarn/src/daemon-list.ts) registers and runs, the API answers, and closing stops them all.
 */
import { jest } from '@jest/globals';
import { DaemonRegistry } from '@tarn/daemon';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { startTestTarn, type EventBusMode } from '@tarn/testing/tarn.js';
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
