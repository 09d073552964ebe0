import { EntityManager } from 'typeorm';

/** An outbox row as the messenger and the PostgreSQL bus read it; the payload stays JSON text. */
export interface OutboxRow {
  id: number;
  topic: string;
  key: string;
  eventType: string;
  version: number;
  payloadJson: string;
  occurredAt: Date;
}

type RawOutboxRow = Omit<OutboxRow, 'id'> & { id: string };

const ROW_COLUMNS = `o.id, o.topic, o.key, o.event_type AS "eventType", o.version, o.payload::text AS "payloadJson", o.created_at AS "occurredAt"`;

function toRows(rows: RawOutboxRow[]): OutboxRow[] {
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/**
 * Takes up to `limit` pending rows for publishing, oldest first, in one statement: locks them, skipping
 * rows another messenger holds (FOR UPDATE SKIP LOCKED), and marks sent those that are the oldest pending
 * row of their key outside the other messenger's batch, so a later event of a key is never published while
 * an earlier one is in someone else's hands. Returns those rows in id order. The caller publishes them
 * before committing; rolling back (publishing failed) leaves them pending. `ownInFlight`: rows of the
 * caller's own previous batch, still uncommitted, which it publishes first (so they do not hold keys back).
 */
export async function takeOutboxBatch(manager: EntityManager, limit: number, ownInFlight: number[] = []): Promise<OutboxRow[]> {
  const [rows]: [RawOutboxRow[], number] = await manager.query(
    `WITH claimed AS (
       SELECT id, key FROM outbox_messages WHERE state = 'P' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
     ), held_elsewhere AS (
       SELECT o.key, min(o.id) AS first_id FROM outbox_messages o
        WHERE o.state = 'P' AND o.id < (SELECT max(id) FROM claimed)
          AND NOT EXISTS (SELECT 1 FROM claimed c WHERE c.id = o.id)
          AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[]) AS own(id) WHERE own.id = o.id)
        GROUP BY o.key
     ), publishable AS (
       SELECT c.id FROM claimed c LEFT JOIN held_elsewhere h ON h.key = c.key AND h.first_id < c.id WHERE h.key IS NULL
     )
     UPDATE outbox_messages o SET state = 'S', sent_at = now(), attempts = o.attempts + 1
      WHERE o.id = ANY(ARRAY(SELECT id FROM publishable))
     RETURNING ${ROW_COLUMNS}`,
    [limit, ownInFlight],
  );
  return toRows(rows).sort((a, b) => a.id - b.id);
}

export async function countPendingOutbox(manager: EntityManager): Promise<number> {
  const [row] = await manager.query(`SELECT count(*) AS n FROM outbox_messages WHERE state = 'P'`);
  return Number(row.n);
}

/** Deletes up to `limit` rows published more than `olderThanSeconds` ago; returns how many. */
export async function deleteSentOutbox(manager: EntityManager, olderThanSeconds: number, limit: number): Promise<number> {
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM outbox_messages WHERE id IN (
       SELECT id FROM outbox_messages WHERE state = 'S' AND sent_at < now() - make_interval(secs => $1) LIMIT $2)`,
    [olderThanSeconds, limit],
  );
  return deleted;
}

/**
 * PostgreSQL bus: the outbox is the log, kept for the retention period whatever its state (as Kafka keeps
 * a topic). Looks at the oldest `limit` rows only, so it walks the primary key, never the whole table.
 */
export async function deleteOutboxOlderThan(manager: EntityManager, olderThanSeconds: number, limit: number): Promise<number> {
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM outbox_messages WHERE id IN (SELECT id FROM outbox_messages ORDER BY id LIMIT $2)
        AND created_at < now() - make_interval(secs => $1)`,
    [olderThanSeconds, limit],
  );
  return deleted;
}

/** The last outbox id handed out by the sequence (0 before the first), whether or not its row committed. */
export async function outboxSequenceLastValue(manager: EntityManager): Promise<number> {
  const [row] = await manager.query(
    `SELECT pg_sequence_last_value(pg_get_serial_sequence('outbox_messages', 'id')::regclass)::text AS v`,
  );
  return row.v === null ? 0 : Number(row.v);
}

/**
 * Transaction ids (32-bit, as text) of the transactions of this database that hold one now. Read from
 * the server's process array (pg_stat_activity.backend_xid), which also shows transactions a snapshot
 * omits (those newer than the last completed one).
 */
export async function runningTransactionIds(manager: EntityManager): Promise<string[]> {
  const [row] = await manager.query(
    `SELECT coalesce(array_agg(backend_xid::text), '{}') AS xids
       FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL`,
  );
  return row.xids;
}

export interface OutboxRangeQuery {
  topic: string;
  afterId: number;
  uptoId: number;
  /** Bus partition: rows whose hash(key) mod `partitions` equals it. */
  partition: number;
  partitions: number;
  limit: number;
}

/** Rows of one topic and partition with afterId < id <= uptoId, in id order. */
export async function readOutboxRange(manager: EntityManager, q: OutboxRangeQuery): Promise<OutboxRow[]> {
  const rows: RawOutboxRow[] = await manager.query(
    `SELECT ${ROW_COLUMNS} FROM outbox_messages o
      WHERE o.id > $1 AND o.id <= $2 AND o.topic = $3
        AND ($4::int = 1 OR (hashtext(o.key) & 2147483647) % $4::int = $5::int)
      ORDER BY o.id LIMIT $6`,
    [q.afterId, q.uptoId, q.topic, q.partitions, q.partition, q.limit],
  );
  return toRows(rows);
}

/** The group's committed position on a topic partition, created at `initialId` on first use. */
export async function ensureConsumerOffset(
  manager: EntityManager,
  group: string,
  topic: string,
  partition: number,
  initialId: number,
): Promise<number> {
  const [row] = await manager.query(
    `WITH created AS (
       INSERT INTO event_consumer_offsets (group_name, topic, partition, last_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING last_id)
     SELECT last_id::text AS "lastId" FROM created
     UNION ALL
     SELECT last_id::text FROM event_consumer_offsets WHERE group_name = $1 AND topic = $2 AND partition = $3
     LIMIT 1`,
    [group, topic, partition, initialId],
  );
  return Number(row.lastId);
}

/** Moves the position forward (never back: a member that lost its partition cannot rewind the group). */
export async function commitConsumerOffset(
  manager: EntityManager,
  group: string,
  topic: string,
  partition: number,
  lastId: number,
): Promise<void> {
  await manager.query(
    `UPDATE event_consumer_offsets SET last_id = GREATEST(last_id, $4), updated_at = now()
      WHERE group_name = $1 AND topic = $2 AND partition = $3`,
    [group, topic, partition, lastId],
  );
}

/**
 * Records that `group` applied these events, in the caller's transaction; returns the ids recorded now
 * (those not applied before). Events already recorded are the caller's to skip.
 */
export async function markEventsProcessed(manager: EntityManager, group: string, eventIds: number[]): Promise<number[]> {
  if (eventIds.length === 0) return [];
  const rows: { id: string }[] = await manager.query(
    `INSERT INTO processed_events (group_name, event_id) SELECT $1, unnest($2::bigint[])
     ON CONFLICT DO NOTHING RETURNING event_id::text AS id`,
    [group, eventIds],
  );
  return rows.map((r) => Number(r.id));
}

export async function deleteProcessedEventsOlderThan(manager: EntityManager, olderThanSeconds: number, limit: number): Promise<number> {
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM processed_events WHERE ctid IN (
       SELECT ctid FROM processed_events WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2)`,
    [olderThanSeconds, limit],
  );
  return deleted;
}

/** PostgreSQL bus: parks an event a group failed to handle on `<topic>.dlq`, with the reason. */
export async function insertDeadLetter(
  manager: EntityManager,
  row: { topic: string; key: string; payload: Record<string, unknown> },
): Promise<void> {
  await manager.query(
    `INSERT INTO outbox_messages (topic, key, event_type, version, payload, state, sent_at)
     VALUES ($1, $2, 'dead-letter', 1, $3::jsonb, 'S', now())`,
    [row.topic, row.key, JSON.stringify(row.payload)],
  );
}
