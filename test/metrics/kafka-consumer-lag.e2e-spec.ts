/**
 * With Kafka, the consumer groups' lag on /metrics comes from the brokers: tarn_event_consumer_lag_events moves as a
 * group's committed offsets fall behind the topic's high watermark and catch up, per group and topic, only for Tarn's
 * consumer groups (its daemons) and topics of this deployment (its prefix); a Kafka that does not answer leaves the lag
 * out, not the catalogue's gauges.
 */
import { jest } from '@jest/globals';
import type { Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { CatalogueMetrics, readCatalogueSnapshot } from '@tarn/core';
import { kafkaLagReader } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestKafka, createTestTopics, deleteTestTopics, kafkaBrokers, testProducer, testTopicPrefix } from '@tarn/testing/kafka.js';
import { sample } from '@tarn/testing/prometheus.js';

jest.setTimeout(60_000);

describe('Kafka consumer lag on /metrics', () => {
  let db: TestDatabase;
  let admin: Admin;
  const prefix = testTopicPrefix();
  const topic = `${prefix}tarn.rule`;
  const scrape = async (read: () => Promise<unknown>) => {
    const registry = new Registry();
    new CatalogueMetrics(registry, readCatalogueSnapshot(db.dataSource.manager, true, read as never), 0);
    return registry.metrics();
  };
  const commit = (groupId: string, offset: number) => admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: String(offset) }] });

  beforeAll(async () => {
    db = await createTestDatabase();
    await createTestTopics([topic, `${prefix}other.topic`], 1);
    const kafka = createTestKafka();
    const producer = testProducer(kafka);
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await deleteTestTopics(prefix);
    await db?.drop();
  });

  it('follows each group as it falls behind and catches up', async () => {
    const read = kafkaLagReader(kafkaBrokers(), prefix, ['reaper', 'rule-cleaner']);
    await commit(`${prefix}reaper`, 1);
    // Another application's group on the same cluster and topic is none of Tarn's business.
    await commit(`${prefix}someone-else`, 0);
    let text = await scrape(read);
    expect(sample(text, 'tarn_catalogue_up')).toBe(1);
    expect(sample(text, 'tarn_event_consumer_lag_events', { group: 'reaper', topic: 'tarn.rule' })).toBe(4);
    // Kafka does not tell how old the oldest unread message is: no age rather than a wrong one.
    expect(sample(text, 'tarn_event_consumer_lag_seconds', { group: 'reaper', topic: 'tarn.rule' })).toBeUndefined();
    expect(text).not.toContain(prefix);
    expect(text).not.toContain('someone-else');

    await commit(`${prefix}reaper`, 5);
    text = await scrape(read);
    expect(sample(text, 'tarn_event_consumer_lag_events', { group: 'reaper', topic: 'tarn.rule' })).toBe(0);
    expect(sample(text, 'tarn_event_consumer_lag_seconds', { group: 'reaper', topic: 'tarn.rule' })).toBe(0);
  });

  it('leaves the lag out while Kafka does not answer, and keeps the catalogue gauges', async () => {
    const text = await scrape(kafkaLagReader(['127.0.0.1:1'], prefix, ['reaper']));
    expect(sample(text, 'tarn_catalogue_up')).toBe(1);
    expect(sample(text, 'tarn_rules', { state: 'OK' })).toBe(0);
    expect(text).not.toMatch(/^tarn_event_consumer_lag_events\{/m);
  });
});
