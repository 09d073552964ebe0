import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { badRequest } from '../rses/request-body.js';
import type { RuleListFilter } from '@tarn/core';
import { booleanParameter, dateParameter } from '../http/query-parameters.js';

type Parser = (wire: string, value: string) => Partial<RuleListFilter>;
const text = (key: keyof RuleListFilter): Parser => (_wire, value) => ({ [key]: value });
const date = (key: keyof RuleListFilter): Parser => (wire, value) => ({ [key]: dateParameter(wire, value) });

/** The filters of Rucio's list_replication_rules, by query parameter. */
const FILTERS: Record<string, Parser> = {
  account: text('account'),
  scope: text('scope'),
  name: text('name'),
  id: text('id'),
  state: text('state'),
  did_type: text('didType'),
  grouping: text('grouping'),
  rse_expression: text('rseExpression'),
  activity: text('activity'),
  subscription_id: text('subscriptionId'),
  locked: (wire, value) => ({ locked: booleanParameter(wire, value) }),
  created_before: date('createdBefore'),
  created_after: date('createdAfter'),
  updated_before: date('updatedBefore'),
  updated_after: date('updatedAfter'),
};

/** A rule listing's query parameters as a filter; an unknown or repeated parameter is a 400 that names it. */
export function ruleFilter(query: Record<string, unknown>, fixed: Partial<RuleListFilter> = {}): RuleListFilter {
  const filter: RuleListFilter = {};
  for (const [wire, value] of Object.entries(query ?? {})) {
    const parse = FILTERS[wire];
    if (!parse) {
      throw badRequest('InputValidationError', `Listing rules: unknown filter '${wire}'. Known filters: ${Object.keys(FILTERS).join(', ')}.`);
    }
    if (typeof value !== 'string') throw badRequest('InputValidationError', `Give the rule filter ${wire} once.`);
    Object.assign(filter, parse(wire, value));
  }
  return { ...filter, ...fixed };
}

/** The filters in the OpenAPI document of a rule listing. */
export const ApiRuleFilters = () => applyDecorators(...Object.keys(FILTERS).map((name) => ApiQuery({ name, required: false })));
