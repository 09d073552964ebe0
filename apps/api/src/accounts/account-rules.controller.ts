import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { validateAccountName } from '@tarn/domain';
import type { Issuer } from '@tarn/core';
import { RuleService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, streamNdjson } from '../http/rucio-wire.js';
import { RULE_ANSWER, ruleToWire } from '../rules/rule.wire.js';
import { Access } from '../auth/access.decorator.js';
import { ApiRuleFilters, ruleFilter } from '../rules/rule-filter.js';
import { mapRows } from '../rses/request-body.js';
import { Answers } from '../http/answers.js';

@ApiTags('accounts')
@ApiSecurity('rucio-token')
@Controller('accounts/:account/rules')
export class AccountRulesController {
  constructor(@Inject(RuleService) private readonly rules: RuleService) {}

  /** Rucio's list_account_rules (`rucio rule list --account`): the account's rules, streamed. */
  @Access.account()
  @Get()
  @ApiOperation({ summary: 'The account’s rules (NDJSON), filtered as GET /rules/ filters them.' })
  @ApiProduces(NDJSON_TYPE)
  @ApiRuleFilters()
  @Answers.ndjson(RULE_ANSWER, "The account's rules.")
  async list(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const filter = ruleFilter(query, { account: validateAccountName(account) });
    await streamNdjson(res, mapRows(await this.rules.listRules(issuer, filter), ruleToWire));
  }
}
