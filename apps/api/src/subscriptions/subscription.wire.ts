import type { SchemaObject } from '@nestjs/swagger';
import { SubscriptionState } from '@tarn/domain';
import { ruleTemplateWire } from '@tarn/core/subscriptions/rule-template.js';
import type { SubscriptionView } from '@tarn/core/subscriptions/subscription.types.js';
import { listOf, named, shape } from '../http/answers.js';
import { rfc1123 } from '../http/rucio-wire.js';

const STATE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(SubscriptionState).map(([name, code]) => [code, name]));

/** Rucio's subscription dict: filter and replication_rules as JSON text, as Rucio stores and sends them. */
export function subscriptionToWire(s: SubscriptionView): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    account: s.account,
    filter: JSON.stringify(s.filter),
    replication_rules: JSON.stringify(s.replicationRules.map(ruleTemplateWire)),
    policyid: s.priority,
    state: STATE_NAMES[s.state] ?? s.state,
    last_processed: rfc1123(s.lastProcessed),
    lifetime: rfc1123(s.expiredAt),
    comments: s.comments,
    retroactive: s.retroactive,
    expired_at: rfc1123(s.expiredAt),
    created_at: rfc1123(s.createdAt),
    updated_at: rfc1123(s.updatedAt),
  };
}

export const SUBSCRIPTION_ANSWER = named(
  'Subscription',
  shape({
    id: 'string', name: 'string', account: 'string', filter: { type: 'string', description: 'The metadata filter, as JSON text.' },
    replication_rules: { type: 'string', description: 'The rule templates, as JSON text.' }, policyid: 'integer', state: 'string',
    last_processed: 'date?', lifetime: 'date?', comments: 'string?', retroactive: 'boolean', expired_at: 'date?', created_at: 'date', updated_at: 'date',
  }),
);

const RULE_TEMPLATE: SchemaObject = {
  type: 'object',
  properties: {
    copies: { type: 'integer', minimum: 1 }, rse_expression: { type: 'string' }, weight: { type: 'string' }, lifetime: { type: 'integer' },
    grouping: { type: 'string', enum: ['ALL', 'DATASET', 'NONE'] }, activity: { type: 'string' }, source_replica_expression: { type: 'string' },
    locked: { type: 'boolean' }, purge_replicas: { type: 'boolean' }, comment: { type: 'string' },
  },
  required: ['copies', 'rse_expression'],
};

/** POST and PUT /subscriptions/{account}/{name}: Rucio's {"options": {...}} (null values mean "not given"). */
export const SUBSCRIPTION_BODY = named('SubscriptionOptions', {
  type: 'object',
  properties: {
    options: {
      type: 'object',
      properties: {
        filter: { type: 'object', additionalProperties: true, description: 'Metadata filter, e.g. {"scope": ["user.jdoe"], "datatype": ["RAW"]}.', nullable: true },
        replication_rules: { ...listOf(RULE_TEMPLATE), nullable: true },
        comments: { type: 'string', nullable: true },
        lifetime: { type: 'integer', nullable: true, description: 'Seconds.' },
        retroactive: { type: 'boolean', nullable: true },
        state: { type: 'string', enum: ['ACTIVE', 'INACTIVE'], nullable: true, description: 'PUT only.' },
      },
    },
  },
  required: ['options'],
});

export const RULE_STATES_ANSWER = named('SubscriptionRuleStates', {
  type: 'array',
  description: "[account, subscription name, rule state, number of the subscription's rules in that state], as Rucio's named tuple.",
  items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  minItems: 4,
  maxItems: 4,
});
