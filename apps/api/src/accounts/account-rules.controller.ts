import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInput, validateAccountName } from '@tarn/domain';
import type { Issuer } from '@tarn/core';
import { RuleService, type RuleListFilter } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, streamNdjson } from '../http/rucio-wire.js';
import { ruleToWire } from '../rules/rule.wire.js';
import { Access } from '../auth/access.decorator.js';

const FILTERS: Record<string, keyof RuleListFilter> = { scope: 'scope', name: 'name', state: 'state', rse_expression: 'rseExpression', activity: 'activity' };

async function* mapped<T, U>(rows: AsyncIterable<T>, map: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield map(row);
}

@ApiTags('accounts')
@ApiSecurity('rucio-token')
@Controller('accounts/:account/rules')
export class AccountRulesController {
  constructor(@Inject(RuleService) private readonly rules: RuleService) {}

  /** Rucio's list_account_rules (`rucio rule list --account`): the account's rules, streamed. */
  @Access.account()
  @Get()
  @ApiOperation({ summary: 'The account’s rules (NDJSON), optionally filtered by scope, name, state, rse_expression, activity.' })
  @ApiProduces(NDJSON_TYPE)
  async list(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const filter: RuleListFilter = { account: validateAccountName(account) };
    for (const [key, value] of Object.entries(query ?? {})) {
      const field = FILTERS[key];
      if (!field || typeof value !== 'string') {
        throw new InvalidInput(`Invalid rule filter '${key}': give one of ${Object.keys(FILTERS).join(', ')}, once each.`, {
          rucioClass: 'InputValidationError',
        });
      }
      filter[field] = value;
    }
    await streamNdjson(res, mapped(await this.rules.listRules(issuer, filter), ruleToWire));
  }
}
