import { DataSource } from 'typeorm';
import { LockState } from '@tarn/domain';
import type { RuleSpec } from '@tarn/core/rules/rule.types.js';

/** An add-rule request for one DID: 1 copy on `rseExpression`, DATASET grouping, unless overridden. */
export function ruleSpec(did: { scope: string; name: string }, rseExpression: string, overrides: Partial<RuleSpec> = {}): RuleSpec {
  return { dids: [{ scope: did.scope, name: did.name }], copies: 1, rseExpression, ...overrides };
}

export interface LockRow {
  scope: string;
  name: string;
  rseId: string;
  state: LockState;
  bytes: number;
}

/** The file locks of a rule, ordered by file and RSE. */
export async function readLocks(dataSource: DataSource, ruleId: string): Promise<LockRow[]> {
  const rows = await dataSource.query(`SELECT scope, name, rse_id, state, bytes FROM locks WHERE rule_id = $1 ORDER BY scope, name, rse_id`, [ruleId]);
  return rows.map((r: { scope: string; name: string; rse_id: string; state: LockState; bytes: string }) => ({
    scope: r.scope,
    name: r.name,
    rseId: r.rse_id,
    state: r.state,
    bytes: Number(r.bytes),
  }));
}

/** Transfer requests (live ones) of files of a scope, by file and destination. */
export async function readRequests(dataSource: DataSource, scope: string): Promise<Array<{ id: string; name: string; destRseId: string; state: string; ruleId: string | null }>> {
  const rows = await dataSource.query(`SELECT id, name, dest_rse_id, state, rule_id FROM requests WHERE scope = $1 ORDER BY name, dest_rse_id`, [scope]);
  return rows.map((r: { id: string; name: string; dest_rse_id: string; state: string; rule_id: string | null }) => ({
    id: r.id,
    name: r.name,
    destRseId: r.dest_rse_id,
    state: r.state,
    ruleId: r.rule_id,
  }));
}

/** Outbox events of a type (payloads), oldest first. */
export async function readEvents(dataSource: DataSource, eventType: string): Promise<Array<Record<string, unknown>>> {
  const rows = await dataSource.query(`SELECT payload FROM outbox_messages WHERE event_type = $1 ORDER BY id`, [eventType]);
  return rows.map((r: { payload: Record<string, unknown> }) => r.payload);
}
