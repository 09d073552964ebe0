import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { OverviewService, type Issuer } from '@tarn/core';
import { Access } from '../auth/access.decorator.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Answers, listOf } from '../http/answers.js';
import { OVERVIEW_ANSWER, RSE_SUMMARY_ANSWER } from './overview.wire.js';

/** Aggregates for the web UI's overview and RSEs pages (Tarn's own routes). */
@ApiTags('overview')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('overview')
export class OverviewController {
  constructor(@Inject(OverviewService) private readonly overview: OverviewService) {}

  @Access.account()
  @Get()
  @ApiOperation({
    summary:
      'Backlogs (changed DIDs, transfers by state, verifications, tombstones due, event bus), rules by state, transfers and deletions ' +
      'per hour over 24 h, failed transfer attempts by reason (of the scopes the caller may read), and what looks wrong.',
  })
  @Answers.json(OVERVIEW_ANSWER, 'The overview.')
  async show(@CurrentIssuer() issuer: Issuer): Promise<unknown> {
    return this.overview.overview(issuer);
  }

  @Access.account()
  @Get('rses')
  @ApiOperation({ summary: 'Live RSEs (or those an RSE expression selects: an empty list when none) with usage, limits, protocols and their last audit.' })
  @ApiQuery({ name: 'expression', required: false, description: 'e.g. "QOS=SAFE&tier=1"; a malformed one is a 400 InvalidRSEExpression naming the token.' })
  @Answers.json(listOf(RSE_SUMMARY_ANSWER), 'The RSEs, by name.')
  async rses(@Query('expression') expression: string | undefined): Promise<unknown> {
    return this.overview.rses(expression === undefined || expression === '' ? undefined : expression);
  }
}
