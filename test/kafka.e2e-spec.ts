/**
 * Through the real Apache Kafka broker (scripts/services/kafka.sh): a message keeps its key, value and
 * headers, and messages with the same key land in one partition in the order they were produced.
 * No broker means these tests fail; they never skip.
 */
import { Kafka, Producer } from 'kafkajs';
import {
  consumeMessages,
  createTestKafka,
  createTestTopics,
  deleteTestTopics,
  testProducer,
  testTopicPrefix,
} from '@tarn/testing/kafka.js';

describe('Kafka (real broker)', () => {
  const prefix = testTopicPrefix();
  const roundTripTopic = `${prefix}round-trip`;
  const orderingTopic = `${prefix}ordering`;
  let kafka: Kafka;
  let producer: Producer;
  let topicsCreated = false;

  beforeAll(async () => {
    kafka = createTestKafka('tarn-kafka-e2e');
    await createTestTopics([roundTripTopic, orderingTopic], 3);
    topicsCreated = true;
    producer = testProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    if (topicsCreated) await deleteTestTopics(prefix);
  });

  it('gives back the key, value and headers of a produced message', async () => {
    const value = JSON.stringify({ scope: 'user.jdoe', name: 'run-42.root', bytes: 1234, adler32: '0a1b2c3d' });
    const [meta] = await producer.send({
      topic: roundTripTopic,
      messages: [
        {
          key: 'user.jdoe:run-42.root',
          value,
          headers: { 'tarn-event': 'did.created', 'tarn-schema': '1' },
        },
      ],
    });
    expect(meta.errorCode).toBe(0);

    const [got] = await consumeMessages(kafka, roundTripTopic, 1);
    expect(got.topic).toBe(roundTripTopic);
    expect(got.partition).toBe(meta.partition);
    expect(got.message.offset).toBe(meta.baseOffset);
    expect(got.message.key?.toString()).toBe('user.jdoe:run-42.root');
    expect(got.message.value?.toString()).toBe(value);
    const headers = Object.fromEntries(
      Object.entries(got.message.headers ?? {}).map(([k, v]) => [k, v?.toString()]),
    );
    expect(headers).toEqual({ 'tarn-event': 'did.created', 'tarn-schema': '1' });
  });

  it('keeps messages with the same key in one partition, in produce order', async () => {
    const key = 'rule:7f3c9d2e';
    const produced: string[] = [];
    // Ten sends one by one, then a batch of ten, with messages of other keys interleaved.
    for (let i = 0; i < 10; i++) {
      produced.push(`step-${i}`);
      await producer.send({
        topic: orderingTopic,
        messages: [
          { key, value: `step-${i}` },
          { key: `rule:other-${i}`, value: `other-${i}` },
        ],
      });
    }
    const batch = [];
    for (let i = 10; i < 20; i++) {
      produced.push(`step-${i}`);
      batch.push({ key, value: `step-${i}` }, { key: `rule:other-${i}`, value: `other-${i}` });
    }
    await producer.send({ topic: orderingTopic, messages: batch });

    const received = await consumeMessages(kafka, orderingTopic, 40);
    expect(received).toHaveLength(40);
    const mine = received.filter((r) => r.message.key?.toString() === key);
    expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
    expect(mine.map((r) => r.message.value?.toString())).toEqual(produced);
    const offsets = mine.map((r) => BigInt(r.message.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // The other keys spread over partitions, so the single partition above is the key's doing.
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });
});
