import { EntityManager } from 'typeorm';
import { EVENT_TOPICS, EVENT_VERSIONS, TarnEvent } from './event-types.js';

/**
 * Writes events into the outbox within the caller's transaction: they are published if and only if the
 * change they describe commits. One statement for the whole batch.
 */
export async function appendEvents(manager: EntityManager, events: TarnEvent[]): Promise<void> {
  if (events.length === 0) return;
  await manager.query(
    `INSERT INTO outbox_messages (topic, key, event_type, version, payload)
     SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::smallint[], $5::jsonb[])`,
    [
      events.map((e) => EVENT_TOPICS[e.type]),
      events.map((e) => e.key),
      events.map((e) => e.type),
      events.map((e) => EVENT_VERSIONS[e.type]),
      events.map((e) => JSON.stringify(e.payload)),
    ],
  );
  // Wakes the PostgreSQL event bus and the messenger at commit (NOTIFY is delivered only if we commit).
  await manager.query(`SELECT pg_notify('tarn_outbox', '')`);
}
