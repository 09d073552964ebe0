import type { OutboxRow } from '@tarn/catalogue/repositories/operations.index.js';
import { EVENT_SCHEMAS, payloadProblems } from './event-schemas.js';
import { EVENT_VERSIONS, type EventPayloads, type EventType } from './event-types.js';

/**
 * An event as it travels on the bus (the value of a Kafka message, JSON): which outbox row it came from,
 * what happened (type + schema version), to what (key) and when (the writer's transaction time).
 */
export interface EventEnvelope<T extends EventType = EventType> {
  /** Outbox id: unique per event, increasing in write order; the deduplication key of consumers. */
  id: number;
  type: T;
  version: number;
  key: string;
  payload: EventPayloads[T];
  occurredAt: Date;
}

/** An envelope of any type; `switch (event.type)` narrows the payload. */
export type AnyEventEnvelope = { [T in EventType]: EventEnvelope<T> }[EventType];

/** Kafka headers of every published event (the value carries the same facts; headers allow routing without parsing). */
export const EVENT_HEADERS = {
  type: 'tarn-event-type',
  version: 'tarn-event-version',
  outboxId: 'tarn-outbox-id',
} as const;

export type InvalidEventReason = 'malformed' | 'unknown-type' | 'unknown-version' | 'invalid-payload';

/** A message that is not a Tarn event this consumer understands; it goes to the dead-letter topic, never retried. */
export class InvalidEventError extends Error {
  constructor(
    message: string,
    readonly reason: InvalidEventReason,
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_VERSIONS, value);
}

/** The schema versions this build understands for `type`, e.g. [1]. */
export function knownVersions(type: EventType): number[] {
  return Object.keys(EVENT_SCHEMAS[type]).map(Number);
}

/** Validates an envelope decoded from JSON; throws InvalidEventError saying what is wrong and what to do. */
export function parseEnvelope(raw: unknown): AnyEventEnvelope {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidEventError('event envelope must be a JSON object {id, type, version, key, payload, occurredAt}', 'malformed');
  }
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && /^\d+$/.test(r.id) ? Number(r.id) : r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new InvalidEventError(`event envelope has no valid outbox id (got ${JSON.stringify(r.id)})`, 'malformed');
  }
  if (!isEventType(r.type)) {
    throw new InvalidEventError(
      `event ${id} has unknown type ${JSON.stringify(r.type)}: this consumer knows ${Object.keys(EVENT_VERSIONS).join(', ')}; ` +
        'upgrade the consumer if a newer Tarn produced it',
      'unknown-type',
    );
  }
  const type = r.type;
  const known = knownVersions(type);
  if (typeof r.version !== 'number' || !known.includes(r.version)) {
    throw new InvalidEventError(
      `event ${id} (${type}) has schema version ${JSON.stringify(r.version)}, this consumer knows version ${known.join(', ')}; ` +
        'upgrade the consumer if a newer Tarn produced it',
      'unknown-version',
    );
  }
  if (typeof r.key !== 'string' || r.key === '') {
    throw new InvalidEventError(`event ${id} (${type}) has no key`, 'malformed');
  }
  const occurredAt = typeof r.occurredAt === 'string' || r.occurredAt instanceof Date ? new Date(r.occurredAt) : undefined;
  if (!occurredAt || Number.isNaN(occurredAt.getTime())) {
    throw new InvalidEventError(`event ${id} (${type}) has no valid occurredAt timestamp`, 'malformed');
  }
  const problems = payloadProblems(EVENT_SCHEMAS[type][r.version], r.payload);
  if (problems.length > 0) {
    throw new InvalidEventError(`event ${id} (${type} v${r.version}) has an invalid payload: ${problems.join('; ')}`, 'invalid-payload');
  }
  return { id, type, version: r.version, key: r.key, payload: r.payload, occurredAt } as AnyEventEnvelope;
}

/** Decodes and validates a message value (Kafka) or text. */
export function decodeEnvelope(value: Buffer | string | null | undefined): AnyEventEnvelope {
  if (value === null || value === undefined) throw new InvalidEventError('message has no value (a tombstone?)', 'malformed');
  let raw: unknown;
  try {
    raw = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    throw new InvalidEventError(`message value is not JSON: ${(error as Error).message}`, 'malformed');
  }
  return parseEnvelope(raw);
}

/** The JSON envelope of an outbox row, built without re-parsing the payload (the messenger's hot path). */
export function encodeEnvelope(row: OutboxRow): string {
  return (
    `{"id":${row.id},"type":${JSON.stringify(row.eventType)},"version":${row.version},` +
    `"key":${JSON.stringify(row.key)},"payload":${row.payloadJson},"occurredAt":"${row.occurredAt.toISOString()}"}`
  );
}
