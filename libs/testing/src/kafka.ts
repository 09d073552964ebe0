/**
 * Helpers for tests that talk to the real Apache Kafka broker (started by scripts/services/kafka.sh,
 * found through KAFKA_BROKERS). Each test file works under its own topic prefix, so parallel test files
 * and earlier runs never see each other's messages.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import { randomBytes } from 'crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Admin,
  Consumer,
  ConsumerConfig,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  logLevel,
  Partitioners,
  Producer,
  ProducerConfig,
} from 'kafkajs';

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

/** Brokers from KAFKA_BROKERS (comma-separated), default 127.0.0.1:9092. */
export function kafkaBrokers(): string[] {
  return (process.env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

let prefix: string | undefined;

/**
 * A topic (and consumer group) prefix unique to this test file, e.g. `test.k3f9a1c2e7.`. Jest gives every
 * test file its own module registry, so the prefix is stable within a file and differs between files.
 */
export function testTopicPrefix(): string {
  prefix ??= `test.${Date.now().toString(36)}${randomBytes(4).toString('hex')}.`;
  return prefix;
}

/**
 * A kafkajs client for tests: quiet (logLevel NOTHING unless KAFKAJS_LOG_LEVEL=warn|info|debug is set),
 * short connection timeouts and few, fast retries so a missing broker fails a test quickly.
 */
export function createTestKafka(clientId = 'tarn-test', overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    ...overrides,
  });
}

/** A producer with the default (murmur2, Java-compatible) partitioner chosen explicitly (no kafkajs warning). */
export function testProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
}

/**
 * A consumer in a fresh group under the test prefix, tuned for tests: quick heartbeats, short fetch waits.
 * Subscribe with `fromBeginning: true` to see messages produced before it joined.
 */
export function testConsumer(kafka: Kafka, config: Partial<ConsumerConfig> = {}): Consumer {
  return kafka.consumer({
    groupId: `${testTopicPrefix()}group.${randomBytes(4).toString('hex')}`,
    sessionTimeout: 6000, // the broker's group.min.session.timeout.ms
    rebalanceTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    ...config,
  });
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createTestKafka('tarn-test-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics (full names, normally starting with testTopicPrefix()) and waits until every partition
 * has a leader. Topics that already exist are left as they are.
 */
export async function createTestTopics(names: string[], partitions = 3): Promise<string[]> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
      timeout: 15000,
    });
    const deadline = Date.now() + 15000;
    for (;;) {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const ready = topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`Kafka topics ${names.join(', ')} have no partition leaders after 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return names;
}

/** Deletes every topic whose name starts with `topicPrefix` (default: this file's prefix). */
export async function deleteTestTopics(topicPrefix = testTopicPrefix()): Promise<void> {
  await withAdmin(async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 15000 });
  });
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads `count` messages from the start of `topic` with a fresh consumer group, then disconnects.
 * Rejects, naming the topic and what did arrive, if they do not all arrive within `timeoutMs`.
 */
export async function consumeMessages(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 20000,
): Promise<ReceivedMessage[]> {
  const consumer = testConsumer(kafka);
  const received: ReceivedMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`expected ${count} messages on Kafka topic ${topic} within ${timeoutMs} ms, got ${received.length}`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            received.push({ topic: t, partition, message });
            if (received.length >= count) resolve();
          },
        })
        .catch(reject);
    });
    return received;
  } finally {
    if (timer) clearTimeout(timer);
    await consumer.disconnect();
  }
}

const KAFKA_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/services/kafka.sh');

/**
 * Starts or stops a broker of the test's own on 127.0.0.1:`port` (scripts/services/kafka.sh with
 * KAFKA_PORT; its own data dir), for tests that take Kafka away. Never the shared broker on 9092.
 * Asynchronous, so the code under test keeps running meanwhile.
 */
export function ownKafkaBroker(action: 'start' | 'stop', port: number, timeoutMs = 150_000): Promise<void> {
  const shared = Number((process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0].split(':')[1]);
  if (port === 9092 || port === shared) throw new Error(`refusing to start or stop the shared broker on ${port}: give the test a port of its own`);
  // Its own data dir too, even where TARN_KAFKA_DATA points the shared broker somewhere else.
  const dataDir = path.join(os.tmpdir(), `tarn-test-kafka-${port}`);
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [KAFKA_SCRIPT, action],
      { env: { ...process.env, KAFKA_PORT: String(port), TARN_KAFKA_DATA: dataDir }, timeout: timeoutMs },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`kafka.sh ${action} (KAFKA_PORT=${port}) failed: ${error.message}\n${stderr}`)) : resolve(),
    );
  });
}
