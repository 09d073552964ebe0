import type { EventBusKind } from '@tarn/config';
import type { AnyEventEnvelope } from './event-envelope.js';
import type { EventType } from './event-types.js';
import type { Topic } from './topics.js';

/** Where and how often an event was delivered to a handler. */
export interface EventDelivery {
  /** The logical topic (`tarn.rule`), without any deployment prefix. */
  topic: Topic;
  partition: number;
  /** Kafka offset, or the outbox id on the PostgreSQL bus. */
  position: string;
  /** 1 on the first try; retries within this process count up to maxAttempts. */
  attempt: number;
  headers: Record<string, string>;
}

/**
 * Handles one event. Events arrive at least once (a redelivery after a crash or a rebalance is normal), in
 * order per key; a handler must be idempotent: either its effect is naturally so (set a state, re-evaluate
 * a rule from the catalogue), or it records the event with `applyOnce`/`markEventsProcessed` in the same
 * transaction as its effect. Throwing means "not handled": the event is retried, then dead-lettered.
 */
export type EventHandler = (event: AnyEventEnvelope, delivery: EventDelivery) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: every group sees every event; members of one group share the partitions. */
  group: string;
  topics: readonly Topic[];
  handler: EventHandler;
  /** Only these types reach the handler; others are skipped (and committed). Default: all. */
  types?: readonly EventType[];
  /** Where a group with no committed position starts: the oldest retained event, or (default) new events only. */
  fromBeginning?: boolean;
  /** Tries per event before it goes to `<topic>.dlq` (default 5). */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt (default 200 ms) up to maxRetryBackoffMs (default 10 s). */
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
}

export interface EventSubscription {
  readonly group: string;
  /** Resolves once the subscription consumes (Kafka: joined its group; PostgreSQL: holds its first partition). */
  ready(): Promise<void>;
  /** Stops after the event in hand; its position is committed, nothing after it. */
  stop(): Promise<void>;
}

/** Notifications of committed catalogue changes: Kafka in scale-out mode, the outbox itself in embedded mode. */
export interface EventBus {
  readonly kind: EventBusKind;
  subscribe(options: SubscribeOptions): Promise<EventSubscription>;
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
