import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import type { OutboxRow } from '@tarn/catalogue/repositories/operations.index.js';
import { ALL_TOPICS, createKafkaClient, encodeEnvelope, ensureKafkaTopics, EVENT_HEADERS } from '@tarn/events';

/** Where outbox rows go; the messenger needs nothing else of Kafka. */
export interface OutboxPublisher {
  /** Describes the target in log lines: `Kafka at 127.0.0.1:9092`. */
  readonly target: string;
  /** Publishes the rows, in order per key; resolves once every row is acknowledged, else rejects. */
  publish(rows: OutboxRow[]): Promise<void>;
  /** Resolves once connected (the topics exist), else rejects: the messenger's readiness. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaOutboxPublisherOptions {
  brokers: string[];
  topicPrefix?: string;
  clientId?: string;
  kafka?: Kafka;
  /** Per-request timeout of a send (default 10 s): an unreachable broker fails the batch in bounded time. */
  sendTimeoutMs?: number;
}

/**
 * Publishes outbox rows with an idempotent producer (acks from all in-sync replicas, one request in
 * flight, so no reordering and no duplicates from the producer's own retries), keyed by the outbox key:
 * one partition per key. After a failure the producer is dropped and a fresh one is made for the retry.
 */
export class KafkaOutboxPublisher implements OutboxPublisher {
  readonly target: string;
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private producer: Promise<Producer> | null = null;
  private topicsReady = false;

  constructor(private readonly options: KafkaOutboxPublisherOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.target = `Kafka at ${options.brokers.join(',')}`;
    this.kafka =
      options.kafka ??
      createKafkaClient(options.brokers, options.clientId ?? `tarn-messenger-${process.pid}`, {
        requestTimeout: options.sendTimeoutMs ?? 10_000,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      });
  }

  async publish(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      const producer = await this.connected();
      const byTopic = new Map<string, Message[]>();
      for (const row of rows) {
        const topic = this.prefix + row.topic;
        let messages = byTopic.get(topic);
        if (!messages) byTopic.set(topic, (messages = []));
        messages.push({
          key: row.key,
          value: encodeEnvelope(row),
          headers: {
            [EVENT_HEADERS.type]: row.eventType,
            [EVENT_HEADERS.version]: String(row.version),
            [EVENT_HEADERS.outboxId]: String(row.id),
          },
        });
      }
      await producer.sendBatch({
        acks: -1,
        timeout: this.options.sendTimeoutMs ?? 10_000,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      await this.drop();
      throw error;
    }
  }

  async connect(): Promise<void> {
    try {
      await this.connected();
    } catch (error) {
      await this.drop();
      throw error;
    }
  }

  /** One producer at a time, however many callers ask at once. */
  private connected(): Promise<Producer> {
    this.producer ??= this.newProducer();
    return this.producer;
  }

  private async newProducer(): Promise<Producer> {
    if (!this.topicsReady) {
      await ensureKafkaTopics(this.kafka, ALL_TOPICS.map((t) => this.prefix + t));
      this.topicsReady = true;
    }
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    return producer;
  }

  private async drop(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await (await producer?.catch(() => null))?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}
