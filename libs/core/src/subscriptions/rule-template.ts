import { InvalidInput } from '@tarn/domain';
import type { DidRef } from '../dids/did.types.js';
import type { RuleSpec } from '../rules/rule.types.js';

/**
 * A rule to create on a DID, as hooks and subscriptions store them: Rucio's subscription replication_rules
 * entries (snake_case, as the stock client sends them) or the same keys in camelCase.
 */
export interface RuleTemplate {
  copies: number;
  rseExpression: string;
  weight?: string | null;
  lifetime?: number | null;
  grouping?: string | null;
  activity?: string | null;
  sourceReplicaExpression?: string | null;
  locked?: boolean;
  purgeReplicas?: boolean;
  ignoreAvailability?: boolean;
  askApproval?: boolean;
  asynchronous?: boolean;
  notify?: string | boolean | null;
  comment?: string | null;
}

const KEYS: Record<string, keyof RuleTemplate> = {
  copies: 'copies',
  rse_expression: 'rseExpression',
  rseExpression: 'rseExpression',
  weight: 'weight',
  lifetime: 'lifetime',
  grouping: 'grouping',
  activity: 'activity',
  source_replica_expression: 'sourceReplicaExpression',
  sourceReplicaExpression: 'sourceReplicaExpression',
  locked: 'locked',
  purge_replicas: 'purgeReplicas',
  purgeReplicas: 'purgeReplicas',
  ignore_availability: 'ignoreAvailability',
  ignoreAvailability: 'ignoreAvailability',
  ask_approval: 'askApproval',
  askApproval: 'askApproval',
  asynchronous: 'asynchronous',
  notify: 'notify',
  comment: 'comment',
  comments: 'comment',
};
// Rucio subscriptions carry these too; they do not change the rule Tarn makes.
const IGNORED = new Set(['delay_injection', 'split_container', 'priority', 'account']);

function invalid(message: string, details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InputValidationError', details });
}

/** Validates rule templates; `owner` names the hook or subscription in errors. */
export function parseRuleTemplates(input: unknown, owner: string): RuleTemplate[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw invalid(`The rules of ${owner} are a list of {copies, rse_expression, ...}.`);
  return input.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw invalid(`Rule ${i + 1} of ${owner} is not an object: give {copies, rse_expression, ...}.`);
    }
    const template: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (IGNORED.has(key)) continue;
      const field = KEYS[key];
      if (!field) {
        throw invalid(`Rule ${i + 1} of ${owner} has an unknown key '${key}'. Known keys: ${[...new Set(Object.keys(KEYS))].join(', ')}.`, { key });
      }
      if (value !== null && value !== undefined) template[field] = value;
    }
    const copies = Number(template.copies);
    if (!Number.isInteger(copies) || copies < 1) throw invalid(`Rule ${i + 1} of ${owner} needs copies, a whole number of at least 1.`);
    if (typeof template.rseExpression !== 'string' || template.rseExpression.trim() === '') {
      throw invalid(`Rule ${i + 1} of ${owner} needs rse_expression, e.g. 'QOS=SAFE'.`);
    }
    if (template.lifetime !== undefined && (!Number.isInteger(Number(template.lifetime)) || Number(template.lifetime) <= 0)) {
      throw invalid(`Rule ${i + 1} of ${owner} has lifetime ${JSON.stringify(template.lifetime)}: give seconds, a whole number above 0.`);
    }
    return { ...template, copies, ...(template.lifetime !== undefined ? { lifetime: Number(template.lifetime) } : {}) } as RuleTemplate;
  });
}

/** The rule specs of templates for one DID. */
export function ruleSpecs(templates: readonly RuleTemplate[], did: DidRef, account: string, extra: Partial<RuleSpec> = {}): RuleSpec[] {
  return templates.map((t) => ({
    dids: [{ scope: did.scope, name: did.name }],
    account,
    copies: t.copies,
    rseExpression: t.rseExpression,
    weight: t.weight ?? null,
    lifetime: t.lifetime ?? null,
    grouping: t.grouping ?? undefined,
    activity: t.activity ?? null,
    sourceReplicaExpression: t.sourceReplicaExpression ?? null,
    locked: t.locked,
    purgeReplicas: t.purgeReplicas,
    ignoreAvailability: t.ignoreAvailability,
    askApproval: t.askApproval,
    asynchronous: t.asynchronous,
    notify: t.notify ?? null,
    comment: t.comment ?? null,
    ...extra,
  }));
}

/** The templates in Rucio's wire form (snake_case). */
export function ruleTemplateWire(t: RuleTemplate): Record<string, unknown> {
  const wire: Record<string, unknown> = { copies: t.copies, rse_expression: t.rseExpression };
  const map: Array<[keyof RuleTemplate, string]> = [
    ['weight', 'weight'],
    ['lifetime', 'lifetime'],
    ['grouping', 'grouping'],
    ['activity', 'activity'],
    ['sourceReplicaExpression', 'source_replica_expression'],
    ['locked', 'locked'],
    ['purgeReplicas', 'purge_replicas'],
    ['ignoreAvailability', 'ignore_availability'],
    ['askApproval', 'ask_approval'],
    ['asynchronous', 'asynchronous'],
    ['notify', 'notify'],
    ['comment', 'comment'],
  ];
  for (const [key, wireKey] of map) if (t[key] !== undefined && t[key] !== null) wire[wireKey] = t[key];
  return wire;
}
