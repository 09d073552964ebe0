import { TOPICS, Topic } from './topics.js';

interface DidRef {
  scope: string;
  name: string;
}

/**
 * Every event Tarn publishes: its topic, current schema version and payload. A payload only grows new
 * optional fields within a version; anything else is a new version, so old consumers keep working.
 */
export interface EventPayloads {
  /** A dataset or container created (files are announced in batches by files.created). */
  'did.created': DidRef & { didType: string; account: string; bytes?: number | null };
  /** Files created in one unit of work (registration, upload, ingestion): one event per scope, account and up to FILES_PER_EVENT names. */
  'files.created': { scope: string; account: string; count: number; names: string[] };
  'did.attached': DidRef & { children: DidRef[] };
  'did.detached': DidRef & { children: DidRef[] };
  'did.closed': DidRef;
  'did.expired': DidRef;
  'rule.created': { ruleId: string; scope: string; name: string; account: string; rseExpression: string; copies: number; state: string };
  'rule.ok': { ruleId: string; scope: string; name: string };
  'rule.stuck': { ruleId: string; scope: string; name: string; error: string | null };
  'rule.progress': { ruleId: string; locksOk: number; locksReplicating: number; locksStuck: number };
  'rule.expired': { ruleId: string; scope: string; name: string };
  'rule.deleted': { ruleId: string; scope: string; name: string };
  'replica.available': DidRef & { rse: string; rseId: string; bytes: number };
  'replica.bad': DidRef & { rse: string; rseId: string; reason: string | null };
  'replica.deleted': DidRef & { rse: string; rseId: string; bytes: number };
  /** Replicas announced on an RSE (upload, registration, state A) now wait for the replica-registrar's check: one event per batch. */
  'replica.announced': { rse: string; rseId: string; count: number };
  /** A bad replica with no other copy to recover it from: the locks on it are STUCK. */
  'replica.lost': DidRef & { rse: string; rseId: string; reason: string };
  /** One event per rule and destination RSE for the transfers a change queued there (version 2; read `requests` for them). */
  'transfer.queued': { ruleId: string | null; destRseId: string; count: number };
  'transfer.submitted': { requestId: string; scope: string; name: string; destRseId: string; sourceRseId: string };
  'transfer.done': { requestId: string; scope: string; name: string; destRseId: string; bytes: number };
  'transfer.failed': { requestId: string; scope: string; name: string; destRseId: string; error: string; attempt: number };
  'deletion.done': DidRef & { rse: string; rseId: string; bytes: number };
  'deletion.failed': DidRef & { rse: string; rseId: string; error: string };
  /** A replica removed without deleting its file, which another replica references. */
  'deletion.kept': DidRef & { rse: string; rseId: string; reason: string };
}

export type EventType = keyof EventPayloads;

export const EVENT_TOPICS: { [T in EventType]: Topic } = {
  'did.created': TOPICS.did,
  'files.created': TOPICS.did,
  'did.attached': TOPICS.did,
  'did.detached': TOPICS.did,
  'did.closed': TOPICS.did,
  'did.expired': TOPICS.did,
  'rule.created': TOPICS.rule,
  'rule.ok': TOPICS.rule,
  'rule.stuck': TOPICS.rule,
  'rule.progress': TOPICS.rule,
  'rule.expired': TOPICS.rule,
  'rule.deleted': TOPICS.rule,
  'replica.available': TOPICS.replica,
  'replica.bad': TOPICS.replica,
  'replica.deleted': TOPICS.replica,
  'replica.announced': TOPICS.replica,
  'replica.lost': TOPICS.replica,
  'transfer.queued': TOPICS.transfer,
  'transfer.submitted': TOPICS.transfer,
  'transfer.done': TOPICS.transfer,
  'transfer.failed': TOPICS.transfer,
  'deletion.done': TOPICS.deletion,
  'deletion.failed': TOPICS.deletion,
  'deletion.kept': TOPICS.deletion,
};

/** Events whose payload changed shape carry a newer version (see EVENT_SCHEMAS for every version). */
const NEWER_VERSIONS: Partial<{ [T in EventType]: number }> = { 'transfer.queued': 2 };

export const EVENT_VERSIONS: { [T in EventType]: number } = Object.fromEntries(
  Object.keys(EVENT_TOPICS).map((type) => [type, NEWER_VERSIONS[type as EventType] ?? 1]),
) as { [T in EventType]: number };

/** The most names one files.created event lists: a batch of new files becomes ceil(n / FILES_PER_EVENT) events per scope. */
export const FILES_PER_EVENT = 1000;

/** An event about to be written to the outbox. */
export interface TarnEvent<T extends EventType = EventType> {
  type: T;
  /** Partition key: events with the same key are delivered in the order they were written. */
  key: string;
  payload: EventPayloads[T];
}

export function didKey(scope: string, name: string): string {
  return `${scope}:${name}`;
}

/** Builds an event; the key defaults to the DID, rule or request the payload is about. */
export function tarnEvent<T extends EventType>(type: T, payload: EventPayloads[T], key?: string): TarnEvent<T> {
  const p = payload as Record<string, unknown>;
  const derived =
    key ??
    (typeof p.ruleId === 'string' ? p.ruleId : undefined) ??
    (typeof p.requestId === 'string' ? p.requestId : undefined) ??
    (typeof p.scope === 'string' && typeof p.name === 'string' ? didKey(p.scope, p.name) : undefined);
  if (!derived) throw new Error(`event ${type} needs a key`);
  return { type, key: derived, payload };
}

/** The files.created events of new files, keyed by their scope: per scope and account, FILES_PER_EVENT names each. */
export function filesCreatedEvents(files: ReadonlyArray<{ scope: string; name: string; account: string }>): Array<TarnEvent<'files.created'>> {
  const groups = new Map<string, { scope: string; account: string; names: string[] }>();
  for (const f of files) {
    const group = `${f.scope}\u0000${f.account}`;
    let names = groups.get(group);
    if (!names) groups.set(group, (names = { scope: f.scope, account: f.account, names: [] }));
    names.names.push(f.name);
  }
  const events: Array<TarnEvent<'files.created'>> = [];
  for (const { scope, account, names } of groups.values()) {
    for (let at = 0; at < names.length; at += FILES_PER_EVENT) {
      const chunk = names.slice(at, at + FILES_PER_EVENT);
      events.push(tarnEvent('files.created', { scope, account, count: chunk.length, names: chunk }, scope));
    }
  }
  return events;
}
