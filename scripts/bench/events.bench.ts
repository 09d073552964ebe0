/**
 * `npm run bench:events [-- --events N]` (or EVENTS_BENCH_N=N): the event backbone end to end, beside the
 * limit of bare kafkajs moving the same messages through the same broker in the same run.
 *
 *  - throughput: a backlog of N committed outbox events -> messenger -> Kafka -> a consumer group
 *    (KafkaEventBus: decode + validate each event); bare: an idempotent kafkajs producer sending the same
 *    N messages in batches of the messenger's size -> a kafkajs consumer parsing each value.
 *  - latency: 10-event transactions committed every 10 ms; commit -> consumer p50/p99; bare: send -> consume.
 *
 * Its own database (a fresh one on the test server of scripts/services/postgres.sh, or on
 * TARN_BENCH_DATABASE_URL's server), its own topic prefix (deleted afterwards), the broker of KAFKA_BROKERS
 * (default 127.0.0.1:9092). It runs the compiled build, so it measures the code Tarn runs.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations, unitOfWork } from '@tarn/catalogue';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import {
  appendEvents,
  createKafkaClient,
  encodeEnvelope,
  ensureKafkaTopics,
  EVENT_HEADERS,
  KafkaEventBus,
  silentLogger,
  tarnEvent,
  type TarnEvent,
} from '@tarn/events';
import { KafkaOutboxPublisher } from '../../apps/messenger/src/kafka-outbox.publisher.js';
import { loadMessengerSettings } from '../../apps/messenger/src/messenger.config.js';
import { MessengerWorker } from '../../apps/messenger/src/messenger.worker.js';
import { adminQuery, benchServerUrl, durabilityOf } from './bench-postgres.js';

const GOAL_THROUGHPUT = 5000;
const GOAL_P50_MS = 50;
const BATCH = 1000;
const KEYS = 1000;
const LATENCY_SECONDS = 5;
const LATENCY_TX_EVERY_MS = 10;
const LATENCY_TX_SIZE = 10;

function eventsFromArgs(): number {
  const i = process.argv.indexOf('--events');
  const raw = i >= 0 ? process.argv[i + 1] : process.env.EVENTS_BENCH_N;
  const n = raw ? Number(raw) : 50_000;
  if (!Number.isInteger(n) || n < 1000) throw new Error(`--events must be an integer >= 1000, got ${raw}`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function eventFor(i: number, keyPrefix = 'file-'): TarnEvent {
  const key = `${keyPrefix}${i % KEYS}`;
  return tarnEvent('did.created', { scope: 'bench', name: key, didType: 'F', account: 'root', bytes: i }, key);
}

/** The value and headers the messenger would publish for event i (same size and shape). */
function messageFor(i: number) {
  const e = eventFor(i);
  const value = encodeEnvelope({
    id: i + 1,
    topic: 'tarn.did',
    key: e.key,
    eventType: e.type,
    version: 1,
    payloadJson: JSON.stringify(e.payload),
    occurredAt: new Date(),
  });
  return { key: e.key, value, headers: { [EVENT_HEADERS.type]: e.type, [EVENT_HEADERS.version]: '1', [EVENT_HEADERS.outboxId]: String(i + 1) } };
}

async function bareThroughput(kafka: Kafka, topic: string, n: number): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `${topic}.bare-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) JSON.parse(m.value!.toString());
      consumed += batch.messages.length;
      if (consumed >= n) done();
    },
  });
  await ready;
  const messages = Array.from({ length: n }, (_, i) => messageFor(i));
  const started = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: messages.slice(i, i + BATCH) }] });
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  return n / seconds;
}

async function bareLatency(kafka: Kafka, topic: string): Promise<number[]> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `${topic}.bare-lat-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic });
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        JSON.parse(m.value!.toString());
        const t = sentAt.get(m.headers![EVENT_HEADERS.outboxId]!.toString());
        if (t !== undefined) latencies.push(now - t);
      }
    },
  });
  await ready;
  await new Promise((r) => setTimeout(r, 500));
  let seq = 0;
  const end = performance.now() + LATENCY_SECONDS * 1000;
  while (performance.now() < end) {
    const tick = performance.now();
    const messages = Array.from({ length: LATENCY_TX_SIZE }, () => messageFor(seq++));
    for (const m of messages) sentAt.set(m.headers[EVENT_HEADERS.outboxId], tick);
    await producer.send({ topic, acks: -1, messages });
    await new Promise((r) => setTimeout(r, Math.max(0, LATENCY_TX_EVERY_MS - (performance.now() - tick))));
  }
  const deadline = performance.now() + 10_000;
  while (latencies.length < seq && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  if (latencies.length < seq) throw new Error(`only ${latencies.length} of ${seq} messages reached the bare consumer within 10 s`);
  return latencies;
}

function messenger(dataSource: DataSource, brokers: string[], prefix: string): DaemonRunner {
  const worker = new MessengerWorker(
    dataSource,
    new KafkaOutboxPublisher({ brokers, topicPrefix: prefix }),
    { ...loadMessengerSettings({}), batchSize: BATCH },
    silentLogger,
  );
  return new DaemonRunner(worker, { dataSource, metrics, logger: silentLogger });
}

const metrics = new DaemonMetrics();

async function tarnThroughput(dataSource: DataSource, brokers: string[], prefix: string, n: number): Promise<{ perSecond: number; writePerSecond: number }> {
  const writeStarted = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => eventFor(i + j));
    await unitOfWork(dataSource, { what: 'bench backlog' }, (manager) => appendEvents(manager, events));
  }
  const writePerSecond = n / ((performance.now() - writeStarted) / 1000);
  const bus = new KafkaEventBus({ brokers, topicPrefix: prefix, logger: silentLogger, consumer: { maxWaitTimeInMs: 100 } });
  let consumed = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const subscription = await bus.subscribe({
    group: `throughput-${randomBytes(3).toString('hex')}`,
    topics: ['tarn.did'],
    fromBeginning: true,
    handler: async () => {
      if (++consumed >= n) done();
    },
  });
  await subscription.ready();
  const runner = messenger(dataSource, brokers, prefix);
  const started = performance.now();
  const loop = runner.start();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  await loop;
  await bus.close();
  return { perSecond: n / seconds, writePerSecond };
}

async function tarnLatency(dataSource: DataSource, brokers: string[], prefix: string): Promise<number[]> {
  const bus = new KafkaEventBus({ brokers, topicPrefix: prefix, logger: silentLogger, consumer: { maxWaitTimeInMs: 100 } });
  const committedAt = new Map<string, number>();
  // An event may reach the consumer before the writer has heard back from its COMMIT: arrivals are kept
  // and compared with the commit time at the end (such an event counts as 0 ms).
  const arrivals: { key: string; at: number }[] = [];
  const subscription = await bus.subscribe({
    group: `latency-${randomBytes(3).toString('hex')}`,
    topics: ['tarn.did'],
    handler: async (event) => {
      arrivals.push({ key: event.key, at: performance.now() });
    },
  });
  await subscription.ready();
  const runner = messenger(dataSource, brokers, prefix);
  const loop = runner.start();
  await new Promise((r) => setTimeout(r, 1000)); // the messenger is connected and idle, LISTENing
  let tx = 0;
  let written = 0;
  const end = performance.now() + LATENCY_SECONDS * 1000;
  while (performance.now() < end) {
    const tick = performance.now();
    const key = `lat-${tx++}`;
    await unitOfWork(dataSource, { what: 'bench latency' }, (manager) =>
      appendEvents(
        manager,
        Array.from({ length: LATENCY_TX_SIZE }, (_, i) =>
          tarnEvent('did.created', { scope: 'bench', name: key, didType: 'F', account: 'root', bytes: i }, key),
        ),
      ),
    );
    committedAt.set(key, performance.now());
    written += LATENCY_TX_SIZE;
    await new Promise((r) => setTimeout(r, Math.max(0, LATENCY_TX_EVERY_MS - (performance.now() - tick))));
  }
  const deadline = performance.now() + 10_000;
  while (arrivals.length < written && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await runner.stop();
  await loop;
  await bus.close();
  if (arrivals.length < written) throw new Error(`only ${arrivals.length} of ${written} events reached the consumer within 10 s`);
  return arrivals.map((a) => Math.max(0, a.at - committedAt.get(a.key)!));
}

function describeLatency(latencies: number[]): { p50: number; p99: number; text: string } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  return { p50, p99, text: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${sorted.length} events)` };
}

async function passStats(): Promise<{ count: number; sum: number }> {
  const text = await metrics.text();
  const count = Number(/tarn_daemon_pass_duration_seconds_count\{daemon="messenger"\} (\S+)/.exec(text)?.[1] ?? 0);
  const sum = Number(/tarn_daemon_pass_duration_seconds_sum\{daemon="messenger"\} (\S+)/.exec(text)?.[1] ?? 0);
  return { count, sum };
}

async function main(): Promise<void> {
  const n = eventsFromArgs();
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim());
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const prefix = `bench.${tag}.`;
  const server = benchServerUrl();
  const database = `tarn_bench_events_${tag}`;
  const url = new URL(server);
  url.pathname = `/${database}`;
  const kafka = createKafkaClient(brokers, 'tarn-events-bench');

  await adminQuery(server, `CREATE DATABASE "${database}"`);
  const dataSource = createDataSource({ url: url.toString(), poolSize: 10, applicationName: 'tarn-events-bench' });
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    await ensureKafkaTopics(kafka, [`${prefix}tarn.did`, `${prefix}bare`, `${prefix}bare-latency`]);
    console.log(`events bench: ${n} events over ${KEYS} keys, batches of ${BATCH}; database ${database} on ${new URL(server).host} (${await durabilityOf((sql) => dataSource.query(sql))}), Kafka ${brokers.join(',')}, topic prefix ${prefix}; Node ${process.version}`);

    const bare = await bareThroughput(kafka, `${prefix}bare`, n);
    const tarn = await tarnThroughput(dataSource, brokers, prefix, n);
    const bareLat = describeLatency(await bareLatency(kafka, `${prefix}bare-latency`));
    const before = await passStats();
    const tarnLat = describeLatency(await tarnLatency(dataSource, brokers, prefix));
    const after = await passStats();

    const verdict = (ok: boolean) => (ok ? 'goal met' : 'GOAL MISSED');
    console.log(`  outbox writes (appendEvents, ${BATCH} per transaction): ${Math.round(tarn.writePerSecond)} events/s`);
    console.log(`  throughput  bare kafkajs produce -> consume:       ${Math.round(bare)} events/s (the limit)`);
    console.log(
      `  throughput  outbox -> messenger -> Kafka -> consumer: ${Math.round(tarn.perSecond)} events/s = ${(tarn.perSecond / bare).toFixed(2)} x limit` +
        ` (goal >= ${GOAL_THROUGHPUT}/s: ${verdict(tarn.perSecond >= GOAL_THROUGHPUT)})`,
    );
    console.log(`  latency     bare kafkajs send -> consume:          ${bareLat.text} (the limit)`);
    console.log(
      `  latency     commit -> consumer:                    ${tarnLat.text}` +
        ` (goal p50 <= ${GOAL_P50_MS} ms: ${verdict(tarnLat.p50 <= GOAL_P50_MS)})`,
    );
    const passes = after.count - before.count;
    console.log(
      `  (${LATENCY_TX_SIZE}-event transactions every ${LATENCY_TX_EVERY_MS} ms for ${LATENCY_SECONDS} s; ` +
        `${passes} messenger passes, ${(((after.sum - before.sum) / Math.max(1, passes)) * 1000).toFixed(1)} ms each on average)`,
    );
    if (tarn.perSecond < GOAL_THROUGHPUT || tarnLat.p50 > GOAL_P50_MS) process.exitCode = 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await adminQuery(server, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error) => {
  console.error(`events bench failed: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
