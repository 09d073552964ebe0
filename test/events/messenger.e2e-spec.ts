/**
 * The messenger against real PostgreSQL and the real Kafka broker: what commits is published (with its
 * headers and envelope), what rolls back is not; per-key order holds with two messengers sharing the
 * outbox; a commit wakes the messenger at once; sent rows are pruned after the retention period.
 */
import { jest } from '@jest/globals';
import { Kafka } from 'kafkajs';
import { unitOfWork } from '@tarn/catalogue';
import { takeOutboxBatch } from '@tarn/catalogue/repositories/operations.index.js';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { appendEvents, decodeEnvelope, EVENT_HEADERS, KafkaEventBus, silentLogger, tarnEvent } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { consumeMessages, createTestKafka, deleteTestTopics, kafkaBrokers, testTopicPrefix } from '@tarn/testing/kafka.js';
import { KafkaOutboxPublisher } from '../../apps/messenger/src/kafka-outbox.publisher.js';
import { loadMessengerSettings, type MessengerSettings } from '../../apps/messenger/src/messenger.config.js';
import { MessengerWorker } from '../../apps/messenger/src/messenger.worker.js';
import { Collector, commitDidEvents, outboxIds, writeInterleaved } from './support/events-fixtures.js';

jest.setTimeout(90_000);

describe('messenger (outbox -> Kafka)', () => {
  const prefix = testTopicPrefix();
  let db: TestDatabase;
  let kafka: Kafka;
  const runners: DaemonRunner[] = [];

  function messenger(settings: Partial<MessengerSettings> = {}, thread = 'main'): DaemonRunner {
    const worker = new MessengerWorker(
      db.dataSource,
      new KafkaOutboxPublisher({ brokers: kafkaBrokers(), topicPrefix: prefix }),
      { ...loadMessengerSettings({}), ...settings },
      silentLogger,
    );
    const runner = new DaemonRunner(Object.assign(worker, { thread }), {
      dataSource: db.dataSource,
      metrics: new DaemonMetrics(),
      logger: silentLogger,
    });
    runners.push(runner);
    return runner;
  }

  async function drain(runner: DaemonRunner): Promise<number> {
    let published = 0;
    for (;;) {
      const result = await runner.runOnce();
      published += result.items ?? 0;
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'P'`);
      if (n === 0) return published;
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    kafka = createTestKafka('tarn-messenger-e2e');
  });

  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await db?.drop();
    await deleteTestTopics(prefix);
  });

  it('publishes the events of committed changes, none of rolled-back ones, with key, headers and envelope', async () => {
    await commitDidEvents(db.dataSource, 'committed-1');
    await expect(
      unitOfWork(db.dataSource, { what: 'a change that fails' }, async (manager) => {
        await appendEvents(manager, [tarnEvent('did.created', { scope: 'test', name: 'rolled-back', didType: 'F', account: 'root' })]);
        throw new Error('the change fails after writing its event');
      }),
    ).rejects.toThrow('the change fails');
    await commitDidEvents(db.dataSource, 'committed-2', 2);
    const committed = await outboxIds(db.dataSource);
    expect(committed).toHaveLength(3);

    const runner = messenger();
    expect(await drain(runner)).toBe(3);
    expect(await runner.runOnce()).toEqual({ didWork: false, items: 0 });

    const messages = await consumeMessages(kafka, `${prefix}tarn.did`, 3);
    // Nothing else arrives (the rolled-back event would be a 4th message).
    await expect(consumeMessages(kafka, `${prefix}tarn.did`, 4, 3000)).rejects.toThrow(/got 3/);
    const byId = new Map(messages.map((m) => [Number(m.message.headers?.[EVENT_HEADERS.outboxId]?.toString()), m]));
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual(committed);
    for (const [id, { message }] of byId) {
      const event = decodeEnvelope(message.value);
      expect(event.id).toBe(id);
      expect(event.type).toBe('did.created');
      expect(message.key?.toString()).toBe(event.key);
      expect(message.headers?.[EVENT_HEADERS.type]?.toString()).toBe('did.created');
      expect(message.headers?.[EVENT_HEADERS.version]?.toString()).toBe('1');
      expect(event.payload).toMatchObject({ scope: 'test', name: event.key });
    }
    expect(messages.filter((m) => m.message.key?.toString() === 'committed-2').map((m) => decodeEnvelope(m.message.value).payload)).toEqual([
      expect.objectContaining({ account: '0' }),
      expect.objectContaining({ account: '1' }),
    ]);
    const rows = await db.dataSource.query(`SELECT state, sent_at FROM outbox_messages`);
    expect(rows.every((r: { state: string; sent_at: Date | null }) => r.state === 'S' && r.sent_at !== null)).toBe(true);
  });

  it('keeps per-key order and publishes each row once when two messengers share a backlog', async () => {
    const before = new Set(await outboxIds(db.dataSource));
    const total = await writeInterleaved(db.dataSource, 25, 80, 20, 'shared-');
    const bus = new KafkaEventBus({ brokers: kafkaBrokers(), topicPrefix: prefix });
    const { collector, subscription } = await Collector.subscribe(bus, { group: 'order-check', topics: ['tarn.did'], fromBeginning: true });
    try {
      const a = messenger({ batchSize: 150 }, 'a');
      const b = messenger({ batchSize: 150 }, 'b');
      const [byA, byB] = await Promise.all([drain(a), drain(b)]);
      expect(byA + byB).toBe(total);
      expect(byA).toBeGreaterThan(0);

      await collector.waitForDistinct(before.size + total, 60_000);
      const fresh = collector.received.filter((r) => !before.has(r.event.id));
      expect(fresh).toHaveLength(total); // no redelivery without a crash: each row went out once
      collector.assertPerKeyOrder();
      const perKey = new Map<string, number>();
      for (const r of fresh) perKey.set(r.event.key, (perKey.get(r.event.key) ?? 0) + 1);
      expect(perKey.size).toBe(25);
      expect([...perKey.values()].every((n) => n === 80)).toBe(true);
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });

  it('never gives a second messenger a later row of a key whose earlier row the first one holds', async () => {
    await db.dataSource.query(`DELETE FROM outbox_messages`);
    await commitDidEvents(db.dataSource, 'held-1');
    await commitDidEvents(db.dataSource, 'held-2');
    await commitDidEvents(db.dataSource, 'held-1');
    await commitDidEvents(db.dataSource, 'free');
    const ids = await outboxIds(db.dataSource);
    const first = db.dataSource.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    try {
      const held = await takeOutboxBatch(first.manager, 2);
      expect(held.map((r) => [r.id, r.key])).toEqual([
        [ids[0], 'held-1'],
        [ids[1], 'held-2'],
      ]);
      const second = await unitOfWork(db.dataSource, { what: 'second claim' }, (m) => takeOutboxBatch(m, 10));
      expect(second.map((r) => [r.id, r.key])).toEqual([[ids[3], 'free']]);
    } finally {
      await first.rollbackTransaction();
      await first.release();
    }
    // The first one failed to publish (rolled back): its rows, and the later row of its key, are pending again.
    const after = await unitOfWork(db.dataSource, { what: 'claim after release' }, (m) => takeOutboxBatch(m, 10));
    expect(after.map((r) => r.id)).toEqual(ids.slice(0, 3));
    await db.dataSource.query(`DELETE FROM outbox_messages`);
  });

  it('is woken by the commit (LISTEN tarn_outbox), not by its idle poll', async () => {
    const bus = new KafkaEventBus({ brokers: kafkaBrokers(), topicPrefix: prefix });
    const { collector, subscription } = await Collector.subscribe(bus, { group: 'wake-check', topics: ['tarn.did'] });
    const runner = messenger({ idleIntervalMs: 120_000 }, 'idle');
    const loop = runner.start();
    try {
      await subscription.ready();
      await new Promise((r) => setTimeout(r, 500)); // the loop is asleep now, for two minutes
      const t0 = Date.now();
      await commitDidEvents(db.dataSource, 'wake-me');
      await collector.until((c) => c.received.some((r) => r.event.key === 'wake-me'), 10_000, 'the woken event');
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      await runner.stop();
      await loop;
      await subscription.stop();
      await bus.close();
    }
  });

  it('prunes sent rows older than the retention period, keeps recent and pending ones', async () => {
    await db.dataSource.query(`DELETE FROM outbox_messages`);
    await commitDidEvents(db.dataSource, 'old', 3);
    await commitDidEvents(db.dataSource, 'recent', 2);
    await db.dataSource.query(`UPDATE outbox_messages SET state = 'S', sent_at = now() - interval '8 days' WHERE key = 'old'`);
    await db.dataSource.query(`UPDATE outbox_messages SET state = 'S', sent_at = now() - interval '6 days' WHERE key = 'recent'`);
    await commitDidEvents(db.dataSource, 'pending', 1);
    await db.dataSource.query(`UPDATE outbox_messages SET created_at = now() - interval '30 days' WHERE key = 'pending'`);

    const runner = messenger({ retentionSeconds: 7 * 86_400 }, 'pruner');
    await runner.runOnce();
    const rows: { key: string; state: string }[] = await db.dataSource.query(`SELECT key, state FROM outbox_messages ORDER BY id`);
    expect(rows).toEqual([
      { key: 'recent', state: 'S' },
      { key: 'recent', state: 'S' },
      { key: 'pending', state: 'S' }, // published by the same pass, and kept
    ]);
  });
});
