import { hostname } from 'node:os';
import { Consumer, ConsumerConfig, IHeaders, Kafka, KafkaMessage, Partitioners, Producer } from 'kafkajs';
import { DEFAULT_MAX_ATTEMPTS, EventBus, EventSubscription, SubscribeOptions } from '../event-bus.js';
import { abortableSleep, deliverWithRetries } from '../delivery.js';
import { decodeEnvelope, InvalidEventError } from '../event-envelope.js';
import { silentLogger, type Logger } from '../logger.js';
import { dlqTopic, isTopic, type Topic } from '../topics.js';
import { createKafkaClient, ensureKafkaTopics, headersToStrings } from './kafka-client.js';

/** Headers added to a dead-lettered message, beside all of its original headers. */
export const DLQ_HEADERS = {
  reason: 'tarn-dlq-reason',
  group: 'tarn-dlq-group',
  attempts: 'tarn-dlq-attempts',
  topic: 'tarn-dlq-original-topic',
  partition: 'tarn-dlq-original-partition',
  offset: 'tarn-dlq-original-offset',
  failedAt: 'tarn-dlq-failed-at',
} as const;

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId?: string;
  /** Prepended to every topic and consumer group name (several deployments or test files on one cluster). */
  topicPrefix?: string;
  /** A client of the caller's instead of one built from `brokers`. */
  kafka?: Kafka;
  logger?: Logger;
  /** kafkajs consumer settings (session timeout, fetch sizes...) for every subscription. */
  consumer?: Partial<ConsumerConfig>;
  /** Partitions consumed in parallel per subscription; order per key holds (a key is one partition). Default 1. */
  partitionsConsumedConcurrently?: number;
}

/** Consumer groups on Apache Kafka: offsets committed only after the handler succeeded, failures to `<topic>.dlq`. */
export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private dlqProducer: Promise<Producer> | null = null;
  private readonly dlqTopicsReady = new Set<string>();

  constructor(private readonly options: KafkaEventBusOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.logger = options.logger ?? silentLogger;
    this.kafka = options.kafka ?? createKafkaClient(options.brokers, options.clientId ?? `tarn-${hostname()}-${process.pid}`);
  }

  /** The Kafka topic a logical topic is published on. */
  kafkaTopic(topic: string): string {
    return this.prefix + topic;
  }

  logicalTopic(kafkaTopic: string): Topic {
    const topic = kafkaTopic.startsWith(this.prefix) ? kafkaTopic.slice(this.prefix.length) : kafkaTopic;
    if (!isTopic(topic)) throw new Error(`Kafka topic ${kafkaTopic} is not one of Tarn's topics`);
    return topic;
  }

  async subscribe(options: SubscribeOptions): Promise<EventSubscription> {
    const consumer = this.kafka.consumer({
      groupId: this.prefix + options.group,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: 500,
      ...this.options.consumer,
    });
    const subscription = new KafkaSubscription(this, consumer, options, this.logger);
    this.subscriptions.add(subscription);
    try {
      await subscription.start(this.options.partitionsConsumedConcurrently ?? 1);
    } catch (error) {
      this.subscriptions.delete(subscription);
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    subscription.onStop(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  /** Sends a message the group could not handle to `<topic>.dlq`: same key and value, original headers plus the reason. */
  async deadLetter(kafkaTopic: string, partition: number, message: KafkaMessage, group: string, reason: string, attempts: number): Promise<void> {
    const topic = dlqTopic(kafkaTopic);
    const producer = await this.producer();
    if (!this.dlqTopicsReady.has(topic)) {
      await ensureKafkaTopics(this.kafka, [topic]);
      this.dlqTopicsReady.add(topic);
    }
    const headers: IHeaders = { ...(message.headers ?? {}) };
    headers[DLQ_HEADERS.reason] = reason.slice(0, 4000);
    headers[DLQ_HEADERS.group] = group;
    headers[DLQ_HEADERS.attempts] = String(attempts);
    headers[DLQ_HEADERS.topic] = kafkaTopic;
    headers[DLQ_HEADERS.partition] = String(partition);
    headers[DLQ_HEADERS.offset] = message.offset;
    headers[DLQ_HEADERS.failedAt] = new Date().toISOString();
    await producer.send({ topic, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }

  private producer(): Promise<Producer> {
    this.dlqProducer ??= (async () => {
      const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
      await producer.connect();
      return producer;
    })().catch((error) => {
      this.dlqProducer = null;
      throw error;
    });
    return this.dlqProducer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    const producer = this.dlqProducer;
    this.dlqProducer = null;
    if (producer) await (await producer.catch(() => null))?.disconnect();
  }
}

class KafkaSubscription implements EventSubscription {
  readonly group: string;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly joined: Promise<void>;
  private markJoined!: () => void;
  private readonly stopListeners: (() => void)[] = [];
  private readonly types: ReadonlySet<string> | null;

  constructor(
    private readonly bus: KafkaEventBus,
    private readonly consumer: Consumer,
    private readonly options: SubscribeOptions,
    private readonly logger: Logger,
  ) {
    this.group = options.group;
    this.types = options.types ? new Set(options.types) : null;
    this.joined = new Promise((resolve) => (this.markJoined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => this.markJoined());
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.logger.error(`consumer group ${this.group} crashed (${error.message})${restart ? '; restarting' : ''}`);
    });
  }

  async start(concurrency: number): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics.map((t) => this.bus.kafkaTopic(t)),
      fromBeginning: this.options.fromBeginning ?? false,
    });
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const retryBackoffMs = this.options.retryBackoffMs ?? 200;
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      // kafkajs commits the resolved offsets after each batch (and on stop); only handled messages are resolved.
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const topic = this.bus.logicalTopic(batch.topic);
        for (const message of batch.messages) {
          if (this.stopping || !isRunning() || isStale()) break;
          const headers = headersToStrings(message.headers);
          let event;
          try {
            event = decodeEnvelope(message.value);
          } catch (error) {
            if (!(error instanceof InvalidEventError)) throw error;
            await this.deadLetter(batch.topic, batch.partition, message, `${error.reason}: ${error.message}`, 1);
            resolveOffset(message.offset);
            continue;
          }
          if (this.types && !this.types.has(event.type)) {
            resolveOffset(message.offset);
            continue;
          }
          const outcome = await deliverWithRetries(
            this.options.handler,
            event,
            { topic, partition: batch.partition, position: message.offset, headers },
            {
              maxAttempts,
              retryBackoffMs,
              maxRetryBackoffMs: this.options.maxRetryBackoffMs,
              stopping: () => this.stopping || !isRunning(),
              // Heartbeats go on while a message is retried, or the group would drop this member.
              sleep: async (ms) => {
                for (let left = ms; left > 0 && !this.stopping; left -= 1000) {
                  await abortableSleep(Math.min(left, 1000), this.abort.signal);
                  if (!this.stopping) await heartbeat();
                }
              },
            },
          );
          if (outcome.kind === 'stopped') break;
          if (outcome.kind === 'failed') {
            await this.deadLetter(batch.topic, batch.partition, message, `handler failed: ${outcome.error.message}`, outcome.attempts);
          }
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });
  }

  private async deadLetter(kafkaTopic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    this.logger.warn(
      `consumer group ${this.group}: message ${kafkaTopic}[${partition}]@${message.offset} (key ${message.key?.toString() ?? '-'}) ` +
        `goes to ${dlqTopic(kafkaTopic)} after ${attempts} attempt(s): ${reason}`,
    );
    await this.bus.deadLetter(kafkaTopic, partition, message, this.group, reason, attempts);
  }

  ready(): Promise<void> {
    return this.joined;
  }

  onStop(listener: () => void): void {
    this.stopListeners.push(listener);
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.abort.abort();
      await this.consumer.stop().catch(() => undefined);
      await this.consumer.disconnect().catch(() => undefined);
      for (const listener of this.stopListeners) listener();
    })();
    return this.stopped;
  }
}
