import { EntityManager } from 'typeorm';
import { inStatements, YIELD_EVERY, yieldToEventLoop } from '@tarn/catalogue';
import { EVENT_SCHEMAS, payloadProblems } from './event-schemas.js';
import { EVENT_TOPICS, EVENT_VERSIONS, type EventType, TarnEvent } from './event-types.js';

/** The channel NOTIFYed when outbox rows commit; the messenger and the PostgreSQL bus LISTEN on it. */
export const OUTBOX_CHANNEL = 'tarn_outbox';

/**
 * Call before a statement of the transaction writes outbox rows (appendEvents does): pg_current_xact_id() gives
 * the transaction its id BEFORE the rows draw outbox ids from the sequence; the PostgreSQL bus relies on it to know
 * when every id up to a point is committed or rolled back (see OutboxHorizon). NOTIFY is delivered at commit only,
 * and wakes the messenger and the bus.
 */
export async function beginOutboxWrites(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_current_xact_id(), pg_notify('${OUTBOX_CHANNEL}', '')`);
}

/** Topic, type and schema version of an event, for a statement that writes its outbox rows itself. */
export function outboxColumns(type: EventType): { topic: string; eventType: EventType; version: number } {
  return { topic: EVENT_TOPICS[type], eventType: type, version: EVENT_VERSIONS[type] };
}

/**
 * Writes events into the outbox within the caller's transaction: they are published if and only if the
 * change they describe commits. Set-based: a statement per STATEMENT_ROWS events.
 */
export async function appendEvents(manager: EntityManager, events: TarnEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const [index, event] of events.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
    const problems = payloadProblems(EVENT_SCHEMAS[event.type][EVENT_VERSIONS[event.type]], event.payload);
    if (problems.length > 0) throw new Error(`event ${event.type} for ${event.key} is malformed: ${problems.join('; ')}`);
  }
  await beginOutboxWrites(manager);
  await inStatements(events, async (slice) => {
    await manager.query(
      `INSERT INTO outbox_messages (topic, key, event_type, version, payload)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::smallint[], $5::jsonb[])`,
      [
        slice.map((e) => EVENT_TOPICS[e.type]),
        slice.map((e) => e.key),
        slice.map((e) => e.type),
        slice.map((e) => EVENT_VERSIONS[e.type]),
        slice.map((e) => JSON.stringify(e.payload)),
      ],
    );
  });
}
