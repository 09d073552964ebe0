import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { OutboxState } from '@tarn/domain';
import { bigintNumber, timestamp } from './columns.js';

/** Runtime knobs that operators tune without a restart. */
@Entity('configs')
export class Config {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  section: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  opt: string;

  @Column({ type: 'varchar', length: 4000 })
  value: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** One row per live daemon process; a row not updated for a while means that daemon is dead. */
@Entity('heartbeats')
@Index('heartbeats_updated_at_idx', ['updatedAt'])
export class Heartbeat {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  executable: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  hostname: string;

  @PrimaryColumn({ type: 'int' })
  pid: number;

  @PrimaryColumn({ type: 'varchar', length: 64, default: 'main' })
  thread: string;

  @Column({ type: 'jsonb', nullable: true })
  payload: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column(timestamp({ default: () => 'now()' }))
  updatedAt: Date;
}

/** Events written in the same transaction as the change they describe; the messenger publishes them. */
@Entity('outbox_messages')
@Index('outbox_messages_pending_idx', ['id'], { where: "state = 'P'" })
@Index('outbox_messages_sent_at_idx', ['sentAt'], { where: 'sent_at IS NOT NULL' })
// Deletions per hour (the overview): only deletion events are indexed, so other events cost nothing more to write.
@Index('outbox_messages_deletions_idx', ['createdAt'], { where: "event_type IN ('deletion.done', 'deletion.failed')" })
export class OutboxMessage {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id: number;

  @Column({ type: 'varchar', length: 128 })
  topic: string;

  /** Partition key: the DID, rule or request the event is about, so its events keep their order. */
  @Column({ type: 'varchar', length: 512 })
  key: string;

  @Column({ type: 'varchar', length: 128 })
  eventType: string;

  @Column({ type: 'smallint', default: 1 })
  version: number;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'enum', enum: OutboxState, default: OutboxState.PENDING })
  state: OutboxState;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column(timestamp({ nullable: true }))
  sentAt: Date | null;
}

/**
 * Committed position of a consumer group on the PostgreSQL event bus (embedded mode), per topic and
 * partition (partition = hash(key) mod the bus's partition count; 0 when the bus runs one partition).
 * `last_id` is the outbox id up to which the group has handled every event of that topic/partition.
 */
@Entity('event_consumer_offsets')
export class EventConsumerOffset {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  groupName: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  topic: string;

  @PrimaryColumn({ type: 'int', default: 0 })
  partition: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  lastId: number;

  @Column(timestamp({ default: () => 'now()' }))
  updatedAt: Date;
}

/**
 * Events a consumer group has applied. A handler inserts (group, event id) in the same transaction as its
 * effect (INSERT ... ON CONFLICT DO NOTHING), so a redelivered event is applied once. Pruned by age.
 */
@Entity('processed_events')
@Index('processed_events_processed_at_idx', ['processedAt'])
export class ProcessedEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  groupName: string;

  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  eventId: number;

  @Column(timestamp({ default: () => 'now()' }))
  processedAt: Date;
}

/**
 * Client traces waiting to be applied (POST /traces): the access daemon (kronos) takes them in batches and records
 * the reads on replicas, DIDs and dataset locks, so that the reaper deletes the least recently used first.
 */
@Entity('traces')
export class Trace {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id: number;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  /** The RSE read from, by name as the client reports it; null when the client did not say. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  rse: string | null;

  /** The dataset the file was read as part of, when the client says. */
  @Column({ type: 'varchar', length: 25, nullable: true })
  datasetScope: string | null;

  @Column({ type: 'varchar', length: 250, nullable: true })
  datasetName: string | null;

  @Column({ type: 'varchar', length: 64 })
  eventType: string;

  @Column({ type: 'varchar', length: 25, nullable: true })
  account: string | null;

  /** When the client read it (its traceTimeentry), not when the trace arrived. */
  @Column(timestamp())
  accessedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
