import type { EventType } from './event-types.js';

/**
 * Runtime shape of each event's payload, per schema version: the fields a consumer may rely on. Extra
 * fields are allowed (a version only ever grows optional fields); a missing or mistyped field is rejected.
 */
export type FieldKind =
  | 'string'
  | 'number'
  | 'string|null'
  | 'number|null'
  | 'number|null|undefined'
  | 'did[]'
  | 'string[]';

export type PayloadSchema = Readonly<Record<string, FieldKind>>;

const did = { scope: 'string', name: 'string' } as const;
const ruleRef = { ruleId: 'string', scope: 'string', name: 'string' } as const;

export const EVENT_SCHEMAS: { readonly [T in EventType]: Readonly<Record<number, PayloadSchema>> } = {
  'did.created': { 1: { ...did, didType: 'string', account: 'string', bytes: 'number|null|undefined' } },
  'files.created': { 1: { scope: 'string', account: 'string', count: 'number', names: 'string[]' } },
  'did.attached': { 1: { ...did, children: 'did[]' } },
  'did.detached': { 1: { ...did, children: 'did[]' } },
  'did.closed': { 1: did },
  'did.expired': { 1: did },
  'rule.created': { 1: { ...ruleRef, account: 'string', rseExpression: 'string', copies: 'number', state: 'string' } },
  'rule.ok': { 1: ruleRef },
  'rule.stuck': { 1: { ...ruleRef, error: 'string|null' } },
  'rule.progress': { 1: { ruleId: 'string', locksOk: 'number', locksReplicating: 'number', locksStuck: 'number' } },
  'rule.expired': { 1: ruleRef },
  'rule.deleted': { 1: ruleRef },
  'replica.available': { 1: { ...did, rse: 'string', rseId: 'string', bytes: 'number' } },
  'replica.bad': { 1: { ...did, rse: 'string', rseId: 'string', reason: 'string|null' } },
  'replica.deleted': { 1: { ...did, rse: 'string', rseId: 'string', bytes: 'number' } },
  'replica.announced': { 1: { rse: 'string', rseId: 'string', count: 'number' } },
  'replica.lost': { 1: { ...did, rse: 'string', rseId: 'string', reason: 'string' } },
  'transfer.queued': {
    1: { requestId: 'string', ...did, destRseId: 'string', ruleId: 'string|null' },
    2: { ruleId: 'string|null', destRseId: 'string', count: 'number' },
  },
  'transfer.submitted': { 1: { requestId: 'string', ...did, destRseId: 'string', sourceRseId: 'string' } },
  'transfer.done': { 1: { requestId: 'string', ...did, destRseId: 'string', bytes: 'number' } },
  'transfer.failed': { 1: { requestId: 'string', ...did, destRseId: 'string', error: 'string', attempt: 'number' } },
  'deletion.done': { 1: { ...did, rse: 'string', rseId: 'string', bytes: 'number' } },
  'deletion.failed': { 1: { ...did, rse: 'string', rseId: 'string', error: 'string' } },
  'deletion.kept': { 1: { ...did, rse: 'string', rseId: 'string', reason: 'string' } },
};

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'number|null':
      return value === null || (typeof value === 'number' && Number.isFinite(value));
    case 'number|null|undefined':
      return value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value));
    case 'string[]':
      return Array.isArray(value) && value.every((s) => typeof s === 'string');
    case 'did[]':
      return (
        Array.isArray(value) &&
        value.every((d) => d !== null && typeof d === 'object' && typeof d.scope === 'string' && typeof d.name === 'string')
      );
  }
}

/** The problems of `payload` against `schema`, e.g. `ruleId must be string, got number`; empty when it fits. */
export function payloadProblems(schema: PayloadSchema, payload: unknown): string[] {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return ['payload must be a JSON object'];
  const record = payload as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, kind] of Object.entries(schema)) {
    const value = record[field];
    if (!fits(kind, value)) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      problems.push(`${field} must be ${kind}, got ${got}`);
    }
  }
  return problems;
}
