/**
 * Kafka goes away for 30 s while changes keep being written: the messenger backs off (logging the outage
 * once, not per row or per retry), and once the broker is back every event is delivered, in order per key.
 * Uses a broker of its own on 127.0.0.1:19092 (scripts/services/kafka.sh, KAFKA_PORT), never the shared one.
 */
import { jest } from '@jest/globals';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { createKafkaClient, KafkaEventBus, silentLogger, type Logger } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { ownKafkaBroker, testTopicPrefix } from '@tarn/testing/kafka.js';
import { KafkaOutboxPublisher } from '../../apps/messenger/src/kafka-outbox.publisher.js';
import { loadMessengerSettings } from '../../apps/messenger/src/messenger.config.js';
import { MessengerWorker } from '../../apps/messenger/src/messenger.worker.js';
import { Collector, commitDidEvents, outboxIds } from './support/events-fixtures.js';

jest.setTimeout(300_000);

const PORT = Number(process.env.TARN_TEST_OWN_KAFKA_PORT || 19092);
const BROKERS = [`127.0.0.1:${PORT}`];
const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('messenger through a Kafka outage', () => {
  const prefix = testTopicPrefix();
  let db: TestDatabase;

  beforeAll(async () => {
    await ownKafkaBroker('start', PORT);
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
    try {
      const admin = createKafkaClient(BROKERS, 'tarn-outage-cleanup').admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.disconnect();
    } finally {
      await ownKafkaBroker('stop', PORT);
    }
  });

  it('delivers every event written during a 30 s outage once Kafka is back, in per-key order', async () => {
    const lines: string[] = [];
    const logger: Logger = { log: (m) => lines.push(`log ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
    const worker = new MessengerWorker(
      db.dataSource,
      new KafkaOutboxPublisher({ brokers: BROKERS, topicPrefix: prefix, sendTimeoutMs: 3000 }),
      { ...loadMessengerSettings({}), batchSize: 200 },
      logger,
    );
    const runner = new DaemonRunner(worker, { dataSource: db.dataSource, metrics: new DaemonMetrics(), logger });
    const loop = runner.start();

    // Writers: a transaction every 25 ms, 3 events each, over 12 keys, for the whole test.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await commitDidEvents(db.dataSource, `key-${i % 12}`, 3, `${i}-`);
        written += 3;
        await sleep(25);
      }
    })();

    const pending = async () => (await outboxIds(db.dataSource, `state = 'P'`)).length;
    try {
      await sleep(4000);
      expect(written).toBeGreaterThan(100);
      const beforeOutage = await outboxIds(db.dataSource, `state = 'S'`);
      expect(beforeOutage.length).toBeGreaterThan(50);

      await ownKafkaBroker('stop', PORT);
      const stoppedAt = Date.now();
      await sleep(OUTAGE_MS / 2);
      const midOutage = await pending();
      expect(midOutage).toBeGreaterThan(100); // nothing goes out while Kafka is away
      await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
      await ownKafkaBroker('start', PORT);
      const backAt = Date.now();
      await sleep(2000);
      writing = false;
      await writer;

      const deadline = Date.now() + 60_000;
      while ((await pending()) > 0 && Date.now() < deadline) await sleep(200);
      expect(await pending()).toBe(0);
      const caughtUpAfterMs = Date.now() - backAt;

      // A fresh group reads the whole log: every committed event is there, first occurrences in key order.
      const bus = new KafkaEventBus({ brokers: BROKERS, topicPrefix: prefix, logger: silentLogger });
      const { collector, subscription } = await Collector.subscribe(bus, { group: 'after-outage', topics: ['tarn.did'], fromBeginning: true });
      const all = await outboxIds(db.dataSource);
      expect(all).toHaveLength(written);
      await collector.waitForDistinct(all.length, 60_000);
      await subscription.stop();
      await bus.close();
      expect([...collector.distinctIds()].sort((a, b) => a - b)).toEqual(all);
      collector.assertPerKeyOrder();

      const errors = lines.filter((l) => l.startsWith('error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^error pass failed: cannot publish \d+ outbox event\(s\) to Kafka at 127\.0\.0\.1:\d+: .*; they stay pending and are retried; retrying with backoff$/);
      expect(lines.filter((l) => l.startsWith('log recovered'))).toHaveLength(1);
      console.log(
        `outage test: ${written} events, ${midOutage} pending mid-outage, all published ${caughtUpAfterMs} ms after the broker answered again; ` +
          `${collector.received.length - all.length} duplicate deliveries`,
      );
    } finally {
      writing = false;
      await writer;
      await runner.stop();
      await loop;
    }
  });
});
