import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { badRequest } from '../rses/request-body.js';
import type { RuleListFilter } from '@tarn/core';
import { booleanParameter, dateParameter, wholeNumberParameter } from '../http/query-parameters.js';

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

/** Tarn's paging of a listing (not Rucio's, which streams every rule): limit, offset and newest_first. */
const PAGING = ['limit', 'offset', 'newest_first'];

/** A rule listing's query parameters as a filter; an unknown or repeated parameter is a 400 that names it. */
export function ruleFilter(query: Record<string, unknown>, fixed: Partial<RuleListFilter> = {}): RuleListFilter {
  const filter: RuleListFilter = {};
  const paging: Record<string, string> = {};
  for (const [wire, value] of Object.entries(query ?? {})) {
    const parse = FILTERS[wire];
    if (!parse && !PAGING.includes(wire)) {
      throw badRequest('InputValidationError', `Listing rules: unknown filter '${wire}'. Known filters: ${[...Object.keys(FILTERS), ...PAGING].join(', ')}.`);
    }
    if (typeof value !== 'string') throw badRequest('InputValidationError', `Give the rule filter ${wire} once.`);
    if (parse) Object.assign(filter, parse(wire, value));
    else paging[wire] = value;
  }
  if (paging.offset !== undefined || paging.newest_first !== undefined) paging.limit ??= String(DEFAULT_PAGE);
  if (paging.limit !== undefined) {
    filter.page = {
      limit: wholeNumberParameter('limit', paging.limit),
      offset: paging.offset === undefined ? 0 : wholeNumberParameter('offset', paging.offset),
      newestFirst: paging.newest_first === undefined ? false : booleanParameter('newest_first', paging.newest_first),
    };
  }
  return { ...filter, ...fixed };
}

const DEFAULT_PAGE = 100;

/** The filters in the OpenAPI document of a rule listing. */
export const ApiRuleFilters = () =>
  applyDecorators(
    ...Object.keys(FILTERS).map((name) => ApiQuery({ name, required: false })),
    ApiQuery({ name: 'limit', required: false, description: 'One page of at most this many rules (1 to 1,000); without it, every rule.' }),
    ApiQuery({ name: 'offset', required: false, description: 'Rules skipped before the page (0 to 1,000,000).' }),
    ApiQuery({ name: 'newest_first', required: false, description: 'true: the newest rules first (default: oldest first).' }),
  );
