/**
 * The Kafka event bus (consumer wrapper) on the real broker: offsets are committed only for handled
 * messages, a message that keeps failing goes to `<topic>.dlq` with the reason and its original headers,
 * a message that is not a known event goes there at once, and applyOnce applies a redelivered event once.
 */
import { jest } from '@jest/globals';
import { Kafka, Producer } from 'kafkajs';
import {
  applyOnce,
  DLQ_HEADERS,
  encodeEnvelope,
  EVENT_HEADERS,
  KafkaEventBus,
  silentLogger,
  type EventSubscription,
} from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import {
  consumeMessages,
  createTestKafka,
  createTestTopics,
  deleteTestTopics,
  kafkaBrokers,
  testProducer,
  testTopicPrefix,
} from '@tarn/testing/kafka.js';
import { Collector } from './support/events-fixtures.js';

jest.setTimeout(90_000);

describe('Kafka event bus', () => {
  const prefix = testTopicPrefix();
  const ruleTopic = `${prefix}tarn.rule`;
  let kafka: Kafka;
  let producer: Producer;
  let db: TestDatabase;
  const buses: KafkaEventBus[] = [];
  let nextId = 1;

  function bus(): KafkaEventBus {
    const b = new KafkaEventBus({
      brokers: kafkaBrokers(),
      topicPrefix: prefix,
      logger: silentLogger,
      // A message being retried holds up its partition only, not the partitions fetched with it.
      partitionsConsumedConcurrently: 3,
      consumer: { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
    });
    buses.push(b);
    return b;
  }

  /** Produces rule.ok events as the messenger would; returns their outbox ids. */
  async function produceRuleEvents(keys: string[]): Promise<number[]> {
    const ids = keys.map(() => nextId++);
    await producer.send({
      topic: ruleTopic,
      acks: -1,
      messages: keys.map((key, i) => ({
        key,
        value: encodeEnvelope({
          id: ids[i],
          topic: 'tarn.rule',
          key,
          eventType: 'rule.ok',
          version: 1,
          payloadJson: JSON.stringify({ ruleId: key, scope: 'user.jdoe', name: `ds-${ids[i]}` }),
          occurredAt: new Date(),
        }),
        headers: { [EVENT_HEADERS.type]: 'rule.ok', [EVENT_HEADERS.version]: '1', [EVENT_HEADERS.outboxId]: String(ids[i]), 'x-trace': `t${ids[i]}` },
      })),
    });
    return ids;
  }

  beforeAll(async () => {
    kafka = createTestKafka('tarn-kafka-bus-e2e');
    await createTestTopics([ruleTopic, `${ruleTopic}.dlq`], 3);
    producer = testProducer(kafka);
    await producer.connect();
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await producer?.disconnect();
    await db?.drop();
    await deleteTestTopics(prefix);
  });

  it('dead-letters a message after maxAttempts with the reason and original headers, and goes on', async () => {
    let poisonAttempts = 0;
    const { collector, subscription } = await Collector.subscribe(bus(), {
      group: 'dlq-group',
      topics: ['tarn.rule'],
      fromBeginning: true,
      maxAttempts: 3,
      retryBackoffMs: 20,
      handler: async (event) => {
        if (event.key === 'poison') {
          poisonAttempts++;
          throw new Error('rule poison cannot be evaluated');
        }
      },
    });
    const [poisonId] = await produceRuleEvents(['poison']);
    await produceRuleEvents(['healthy']);
    // Not events: invalid JSON, and an unknown type.
    await producer.send({
      topic: ruleTopic,
      messages: [
        { key: 'garbage', value: 'not json', headers: { 'x-trace': 'g' } },
        { key: 'alien', value: JSON.stringify({ id: 999, type: 'rule.vanished', version: 1, key: 'alien', payload: {}, occurredAt: new Date() }) },
      ],
    });
    await collector.until((c) => c.received.some((r) => r.event.key === 'healthy'), 30_000, 'the healthy event');
    const dlq = await consumeMessages(kafka, `${ruleTopic}.dlq`, 3, 30_000);
    await subscription.stop();

    expect(poisonAttempts).toBe(3);
    expect(collector.received.map((r) => r.event.key)).toEqual(['healthy']);
    const byKey = new Map(dlq.map((m) => [m.message.key?.toString(), m.message]));
    const poison = byKey.get('poison')!;
    const h = (name: string) => poison.headers?.[name]?.toString();
    expect(h(DLQ_HEADERS.reason)).toBe('handler failed: rule poison cannot be evaluated');
    expect(h(DLQ_HEADERS.group)).toBe('dlq-group');
    expect(h(DLQ_HEADERS.attempts)).toBe('3');
    expect(h(DLQ_HEADERS.topic)).toBe(ruleTopic);
    expect(h(EVENT_HEADERS.outboxId)).toBe(String(poisonId));
    expect(h('x-trace')).toBe(`t${poisonId}`);
    expect(JSON.parse(poison.value!.toString()).id).toBe(poisonId);
    expect(byKey.get('garbage')?.headers?.[DLQ_HEADERS.reason]?.toString()).toMatch(/^malformed: message value is not JSON/);
    expect(byKey.get('garbage')?.headers?.['x-trace']?.toString()).toBe('g');
    expect(byKey.get('alien')?.headers?.[DLQ_HEADERS.reason]?.toString()).toMatch(/^unknown-type: event 999 has unknown type "rule.vanished"/);
  });

  it('commits only handled messages: a stopped consumer leaves the failing one to the next member', async () => {
    let failing = true;
    const first = await Collector.subscribe(bus(), {
      group: 'commit-group',
      topics: ['tarn.rule'],
      // A partition without a committed offset starts where the group says: from the start here.
      fromBeginning: true,
      maxAttempts: 1000,
      retryBackoffMs: 50,
      maxRetryBackoffMs: 100,
      handler: async (event) => {
        if (failing && event.key === 'stuck') throw new Error('not yet');
      },
    });
    await first.subscription.ready();
    const ids = await produceRuleEvents(['same-0', 'same-0', 'stuck', 'same-0']);
    // `stuck` may share a partition with `same-0`; either way the events before it are handled.
    await first.collector.until((c) => c.received.filter((r) => r.event.key === 'same-0').length >= 2, 20_000, 'the first events');
    await new Promise((r) => setTimeout(r, 300)); // `stuck` is being retried now
    await first.subscription.stop();
    expect(first.collector.received.map((r) => r.event.id)).not.toContain(ids[2]);

    failing = false;
    const second = await Collector.subscribe(bus(), { group: 'commit-group', topics: ['tarn.rule'], fromBeginning: true });
    await second.collector.until((c) => c.received.some((r) => r.event.key === 'stuck'), 30_000, 'the stuck event, redelivered');
    await new Promise((r) => setTimeout(r, 500));
    await second.subscription.stop();
    const handled = [...first.collector.received, ...second.collector.received].map((r) => r.event.id);
    for (const id of ids) expect(handled).toContain(id);
    // Nothing committed is delivered again: the first two events reached the first member only.
    expect(second.collector.received.map((r) => r.event.id)).not.toContain(ids[0]);
    expect(second.collector.received.map((r) => r.event.id)).not.toContain(ids[1]);
  });

  it('applies a redelivered event once with applyOnce', async () => {
    await db.dataSource.query(`CREATE TABLE applied_effects (event_id bigint NOT NULL, key text NOT NULL)`);
    const [id] = await produceRuleEvents(['once']);
    // The same event again, as a messenger that crashed before marking it sent would publish it.
    await producer.send({
      topic: ruleTopic,
      messages: [
        {
          key: 'once',
          value: encodeEnvelope({
            id,
            topic: 'tarn.rule',
            key: 'once',
            eventType: 'rule.ok',
            version: 1,
            payloadJson: JSON.stringify({ ruleId: 'once', scope: 'user.jdoe', name: `ds-${id}` }),
            occurredAt: new Date(),
          }),
        },
      ],
    });
    let subscription: EventSubscription | undefined;
    try {
      const subscribed = await Collector.subscribe(bus(), {
        group: 'apply-once',
        topics: ['tarn.rule'],
        fromBeginning: true,
        types: ['rule.ok'],
        handler: async (event) => {
          await applyOnce(db.dataSource, 'apply-once', event, (manager) =>
            manager.query(`INSERT INTO applied_effects (event_id, key) VALUES ($1, $2)`, [event.id, event.key]),
          );
        },
      });
      subscription = subscribed.subscription;
      await subscribed.collector.until((c) => c.received.filter((r) => r.event.id === id).length === 2, 30_000, 'both deliveries');
    } finally {
      await subscription?.stop();
    }
    expect(await db.dataSource.query(`SELECT event_id::int AS id, key FROM applied_effects WHERE key = 'once'`)).toEqual([{ id, key: 'once' }]);
  });
});
