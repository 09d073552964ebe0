import { DataSource } from 'typeorm';
import { CatalogueOutage, pgClientConfig } from '@tarn/catalogue';
import {
  commitConsumerOffset,
  ensureConsumerOffset,
  insertDeadLetter,
  readOutboxRange,
  type OutboxRow,
} from '@tarn/catalogue/repositories/operations.index.js';
import { DEFAULT_MAX_ATTEMPTS, EventBus, EventSubscription, SubscribeOptions } from '../event-bus.js';
import { abortableSleep, deliverWithRetries, WakeableSleep } from '../delivery.js';
import { EVENT_HEADERS, InvalidEventError, parseEnvelope, type AnyEventEnvelope } from '../event-envelope.js';
import { silentLogger, type Logger } from '../logger.js';
import { dlqTopic, type Topic } from '../topics.js';
import { OutboxHorizon } from './outbox-horizon.js';
import { OutboxSession } from './pg-session.js';

export interface PostgresEventBusOptions {
  dataSource: DataSource;
  logger?: Logger;
  /**
   * Partitions per topic (hash of the key): the unit of parallelism within a group, as in Kafka. Every
   * process of a deployment must use the same number; changing it reorders events of a key. Default 1.
   */
  partitions?: number;
  /** Events read per query (default 500). */
  batchSize?: number;
  /** Poll interval when no notification arrives (default 1000 ms); a NOTIFY at commit wakes consumers at once. */
  pollIntervalMs?: number;
}

/**
 * The event bus of embedded mode: the outbox table is the log, NOTIFY wakes the consumers, and each group
 * keeps its own position per topic partition in `event_consumer_offsets`. Same guarantees as Kafka consumer
 * groups: every group sees every event at least once, in order per key; one member of a group consumes a
 * partition at a time (it holds a session-level advisory lock on it; a crash releases it).
 */
export class PostgresEventBus implements EventBus {
  readonly kind = 'postgres' as const;
  readonly horizon: OutboxHorizon;
  readonly session: OutboxSession;
  readonly partitions: number;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
  private readonly subscriptions = new Set<PostgresSubscription>();

  constructor(readonly options: PostgresEventBusOptions) {
    this.partitions = options.partitions ?? 1;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.logger = options.logger ?? silentLogger;
    this.horizon = new OutboxHorizon(options.dataSource);
    this.session = new OutboxSession(pgClientConfig(options.dataSource, 'tarn-event-bus'), this.logger);
    this.session.onNotify(() => this.subscriptions.forEach((s) => s.wake()));
    this.session.onLost(() => this.subscriptions.forEach((s) => s.partitionsLost()));
  }

  get dataSource(): DataSource {
    return this.options.dataSource;
  }

  async subscribe(options: SubscribeOptions): Promise<EventSubscription> {
    await this.session.connect();
    const subscription = new PostgresSubscription(this, options);
    this.subscriptions.add(subscription);
    subscription.onStop(() => this.subscriptions.delete(subscription));
    subscription.start();
    return subscription;
  }

  /** Takes a partition of a group for this process if no other member holds it. */
  async tryLockPartition(group: string, topic: string, partition: number): Promise<boolean> {
    const [row] = await this.session.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext('tarn.event-bus'), hashtext($1)) AS locked`,
      [`${group}\u0001${topic}\u0001${partition}`],
    );
    return row.locked;
  }

  async unlockPartition(group: string, topic: string, partition: number): Promise<void> {
    if (!this.session.connected) return;
    await this.session
      .query(`SELECT pg_advisory_unlock(hashtext('tarn.event-bus'), hashtext($1))`, [`${group}\u0001${topic}\u0001${partition}`])
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.session.close();
  }
}

interface Slot {
  topic: Topic;
  partition: number;
  held: boolean;
  /** Position known in memory (may run ahead of the stored one over ranges without events of this slot). */
  lastId: number | null;
}

class PostgresSubscription implements EventSubscription {
  readonly group: string;
  private readonly slots: Slot[];
  private readonly sleeper = new WakeableSleep();
  private readonly abort = new AbortController();
  private readonly types: ReadonlySet<string> | null;
  private readonly stopListeners: (() => void)[] = [];
  private loop: Promise<void> | null = null;
  private stopping = false;
  private readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(
    private readonly bus: PostgresEventBus,
    private readonly options: SubscribeOptions,
  ) {
    this.group = options.group;
    this.types = options.types ? new Set(options.types) : null;
    this.slots = options.topics.flatMap((topic) =>
      Array.from({ length: bus.partitions }, (_, partition) => ({ topic, partition, held: false, lastId: null })),
    );
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  start(): void {
    this.loop = this.run();
  }

  ready(): Promise<void> {
    return this.started;
  }

  wake(): void {
    this.sleeper.wake();
  }

  partitionsLost(): void {
    for (const slot of this.slots) {
      slot.held = false;
      slot.lastId = null;
    }
  }

  onStop(listener: () => void): void {
    this.stopListeners.push(listener);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let waits = 0;
    while (!this.stopping) {
      let worked = false;
      let pending = false;
      try {
        const horizon = await this.bus.horizon.advance();
        pending = horizon.pending;
        for (const slot of this.slots) {
          if (this.stopping) break;
          if (!slot.held) {
            slot.held = await this.bus.tryLockPartition(this.group, slot.topic, slot.partition);
            slot.lastId = null;
            if (!slot.held) continue;
          }
          if (await this.consume(slot, horizon.safe, horizon.pending)) worked = true;
        }
        if (this.slots.every((slot) => !slot.held || slot.lastId !== null)) this.markStarted();
        if (failures > 0) this.bus.logger.log(`consumer group ${this.group} consumes again after ${failures} failed attempt(s)`);
        failures = 0;
      } catch (error) {
        // A database that does not answer is logged once for the process (CatalogueOutage), not per consumer group.
        if (await CatalogueOutage.of(this.bus.dataSource).check(error)) {
          await this.sleeper.sleep(1000);
          continue;
        }
        if (failures === 0) this.bus.logger.warn(`consumer group ${this.group} cannot read the outbox (${(error as Error).message}); retrying`);
        failures++;
        await this.sleeper.sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
        continue;
      }
      if (worked || !pending) waits = 0;
      // While a writer is still open the horizon waits for it: look again soon, then less and less often.
      if (!worked && !this.stopping) await this.sleeper.sleep(pending ? Math.min(250, 10 * 2 ** Math.min(waits++, 5)) : this.bus.pollIntervalMs);
    }
  }

  /** Handles the next batch of a held partition; true if it read any event. */
  private async consume(slot: Slot, safe: number, horizonPending: boolean): Promise<boolean> {
    const manager = this.bus.dataSource.manager;
    if (slot.lastId === null) {
      // A new group starting at the end of the log waits for a first settled horizon to know where that is.
      if (!this.options.fromBeginning && safe === 0 && horizonPending) return false;
      slot.lastId = await ensureConsumerOffset(manager, this.group, slot.topic, slot.partition, this.options.fromBeginning ? 0 : safe);
    }
    if (slot.lastId >= safe) return false;
    const limit = this.bus.batchSize;
    const rows = await readOutboxRange(manager, {
      topic: slot.topic,
      afterId: slot.lastId,
      uptoId: safe,
      partition: slot.partition,
      partitions: this.bus.partitions,
      limit,
    });
    let handledUpTo = slot.lastId;
    let interrupted = false;
    for (const row of rows) {
      if (this.stopping || !slot.held) {
        interrupted = true;
        break;
      }
      if (!(await this.handle(slot, row))) {
        interrupted = true;
        break;
      }
      handledUpTo = row.id;
    }
    if (handledUpTo > slot.lastId) await commitConsumerOffset(manager, this.group, slot.topic, slot.partition, handledUpTo);
    // A short read means nothing else of this partition exists up to the horizon: skip that range next time.
    slot.lastId = !interrupted && rows.length < limit ? safe : handledUpTo;
    return rows.length > 0;
  }

  /** False when stopping interrupted it (the event stays unhandled and uncommitted). */
  private async handle(slot: Slot, row: OutboxRow): Promise<boolean> {
    let event: AnyEventEnvelope;
    try {
      event = parseEnvelope({
        id: row.id,
        type: row.eventType,
        version: row.version,
        key: row.key,
        payload: JSON.parse(row.payloadJson),
        occurredAt: row.occurredAt,
      });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      await this.deadLetter(slot, row, `${error.reason}: ${error.message}`, 1);
      return true;
    }
    if (this.types && !this.types.has(event.type)) return true;
    const outcome = await deliverWithRetries(
      this.options.handler,
      event,
      {
        topic: slot.topic,
        partition: slot.partition,
        position: String(row.id),
        headers: { [EVENT_HEADERS.type]: row.eventType, [EVENT_HEADERS.version]: String(row.version), [EVENT_HEADERS.outboxId]: String(row.id) },
      },
      {
        maxAttempts: this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        retryBackoffMs: this.options.retryBackoffMs ?? 200,
        maxRetryBackoffMs: this.options.maxRetryBackoffMs,
        stopping: () => this.stopping,
        sleep: (ms) => abortableSleep(ms, this.abort.signal),
      },
    );
    if (outcome.kind === 'stopped') return false;
    if (outcome.kind === 'failed') await this.deadLetter(slot, row, `handler failed: ${outcome.error.message}`, outcome.attempts);
    return true;
  }

  private async deadLetter(slot: Slot, row: OutboxRow, reason: string, attempts: number): Promise<void> {
    const topic = dlqTopic(slot.topic);
    this.bus.logger.warn(`consumer group ${this.group}: event ${row.id} (${row.eventType}, key ${row.key}) goes to ${topic} after ${attempts} attempt(s): ${reason}`);
    await insertDeadLetter(this.bus.dataSource.manager, {
      topic,
      key: row.key,
      payload: {
        group: this.group,
        reason: reason.slice(0, 4000),
        attempts,
        failedAt: new Date().toISOString(),
        original: {
          id: row.id,
          topic: slot.topic,
          partition: slot.partition,
          type: row.eventType,
          version: row.version,
          key: row.key,
          occurredAt: row.occurredAt,
          payload: JSON.parse(row.payloadJson),
        },
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.abort.abort();
      this.sleeper.wake();
      this.markStarted();
      await this.loop?.catch(() => undefined);
      for (const slot of this.slots) {
        if (slot.held) await this.bus.unlockPartition(this.group, slot.topic, slot.partition);
        slot.held = false;
      }
      for (const listener of this.stopListeners) listener();
    }
    await this.loop?.catch(() => undefined);
  }
}
