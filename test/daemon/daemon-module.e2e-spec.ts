/**
 * The Nest wiring of embedded mode: MessengerModule registers the messenger with the DaemonRegistry, whose
 * loops start when the application bootstraps and stop (heartbeats removed) when it shuts down;
 * EventsModule provides the bus the configuration asks for (here PostgreSQL: no KAFKA_BROKERS).
 */
import { jest } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { DaemonRegistry, DaemonModule, HeartbeatService } from '@tarn/daemon';
import { EVENT_BUS, EventsModule, PostgresEventBus, type EventBus } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { MessengerModule } from '../../apps/messenger/src/messenger.module.js';
import { Collector, commitDidEvents } from '../events/support/events-fixtures.js';

jest.setTimeout(30_000);

describe('DaemonModule, MessengerModule and EventsModule in a Nest application', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let closed = false;
  const metricsPort = process.env.TARN_METRICS_PORT;

  beforeAll(async () => {
    process.env.TARN_METRICS_PORT = '0';
    db = await createTestDatabase();
    app = await createTestingModule(db, [DaemonModule, EventsModule, MessengerModule]);
  });

  afterAll(async () => {
    if (!closed) await app?.close().catch(() => undefined);
    if (metricsPort === undefined) delete process.env.TARN_METRICS_PORT;
    else process.env.TARN_METRICS_PORT = metricsPort;
    await db?.drop();
  });

  it('runs the registered daemons from bootstrap to shutdown, beside the configured bus', async () => {
    const bus = app.get<EventBus>(EVENT_BUS);
    expect(bus).toBeInstanceOf(PostgresEventBus);
    await app.init();
    const registry = app.get(DaemonRegistry);
    expect(registry.list().map((r) => r.name)).toEqual(['messenger']);
    const heartbeats = app.get(HeartbeatService);
    const deadline = Date.now() + 5000;
    while ((await heartbeats.listLive('messenger')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await heartbeats.listLive('messenger')).map((h) => [h.pid, h.alive])).toEqual([[process.pid, true]]);

    const { collector, subscription } = await Collector.subscribe(bus, { group: 'module-test', topics: ['tarn.did'] });
    // New events only: those committed once it holds its partition (before that, a loaded machine could commit first).
    await subscription.ready();
    await commitDidEvents(db.dataSource, 'through-the-module');
    await collector.until((c) => c.received.length === 1, 10_000, 'the event');

    await app.close();
    closed = true;
    expect(await heartbeats.list('messenger')).toEqual([]);
    expect(registry.get('messenger')!.running).toBe(false);
  });
});
