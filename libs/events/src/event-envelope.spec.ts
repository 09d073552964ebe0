import { decodeEnvelope, encodeEnvelope, InvalidEventError, parseEnvelope } from './event-envelope.js';

const valid = {
  id: 42,
  type: 'rule.ok',
  version: 1,
  key: 'rule-1',
  payload: { ruleId: 'rule-1', scope: 'user.jdoe', name: 'run4711' },
  occurredAt: '2026-01-02T03:04:05.678Z',
};

function reasonOf(raw: unknown): string {
  try {
    parseEnvelope(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return `${(error as InvalidEventError).reason}: ${(error as Error).message}`;
  }
  throw new Error('expected the envelope to be rejected');
}

describe('event envelope', () => {
  it('round-trips an outbox row through the wire format', () => {
    const text = encodeEnvelope({
      id: 42,
      topic: 'tarn.rule',
      key: 'rule-1',
      eventType: 'rule.ok',
      version: 1,
      payloadJson: JSON.stringify(valid.payload),
      occurredAt: new Date(valid.occurredAt),
    });
    const event = decodeEnvelope(Buffer.from(text));
    expect(event).toEqual({ ...valid, occurredAt: new Date(valid.occurredAt) });
    if (event.type === 'rule.ok') expect(event.payload.ruleId).toBe('rule-1');
  });

  it('keeps fields a newer producer added within the same version', () => {
    const event = parseEnvelope({ ...valid, payload: { ...valid.payload, extra: true } });
    expect((event.payload as unknown as Record<string, unknown>).extra).toBe(true);
  });

  it('rejects unknown types and versions, saying which ones it knows', () => {
    expect(reasonOf({ ...valid, type: 'rule.exploded' })).toMatch(/^unknown-type: event 42 has unknown type "rule.exploded".*rule\.ok/);
    expect(reasonOf({ ...valid, version: 2 })).toMatch(/^unknown-version: event 42 \(rule.ok\) has schema version 2, this consumer knows version 1/);
  });

  it('rejects malformed envelopes and payloads', () => {
    expect(reasonOf(null)).toMatch(/^malformed/);
    expect(reasonOf({ ...valid, id: -1 })).toMatch(/^malformed: .*outbox id/);
    expect(reasonOf({ ...valid, key: '' })).toMatch(/^malformed: .*no key/);
    expect(reasonOf({ ...valid, occurredAt: 'yesterday' })).toMatch(/^malformed: .*occurredAt/);
    expect(reasonOf({ ...valid, payload: { ruleId: 7, scope: 'a' } })).toBe(
      'invalid-payload: event 42 (rule.ok v1) has an invalid payload: ruleId must be string, got number; name must be string, got undefined',
    );
    expect(() => decodeEnvelope(Buffer.from('{not json'))).toThrow(/not JSON/);
    expect(() => decodeEnvelope(null)).toThrow(/no value/);
  });

  it('accepts a nullable field as null and an optional one as absent', () => {
    expect(() => parseEnvelope({ ...valid, type: 'rule.stuck', key: 'r', payload: { ruleId: 'r', scope: 's', name: 'n', error: null } })).not.toThrow();
    expect(() =>
      parseEnvelope({ ...valid, type: 'did.created', key: 's:n', payload: { scope: 's', name: 'n', didType: 'F', account: 'root' } }),
    ).not.toThrow();
    expect(reasonOf({ ...valid, type: 'did.attached', key: 's:n', payload: { scope: 's', name: 'n', children: [{ scope: 's' }] } })).toMatch(
      /children must be did\[\]/,
    );
  });
});
