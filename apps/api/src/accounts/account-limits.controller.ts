import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccountLimitService, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE } from '../http/rucio-wire.js';
import { sendRucioJson, sendRucioNdjson } from './account-wire.js';
import { AccountLimitBody } from './accounts.dto.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { GLOBAL_LIMITS_ANSWER, GLOBAL_USAGE_LINE, LIMITS_ANSWER, LOCAL_USAGE_LINE } from './account-wire.js';

const UNLIMITED_NOTE = 'An unlimited quota is written `Infinity`, as Rucio (Python json) writes it.';

/**
 * Quotas (account limits) per RSE ("local") and per RSE expression ("global"), and what the account uses, as the
 * stock client reads and sets them under /accounts/<account>/limits and /usage. Reading is for the account itself and
 * administrators (as in Rucio); setting is for administrators.
 */
@ApiTags('account limits')
@ApiSecurity('rucio-token')
@Controller('accounts/:account')
export class AccountLimitsController {
  constructor(@Inject(AccountLimitService) private readonly limits: AccountLimitService) {}

  @Access.owner('account')
  @Get(['limits', 'limits/local'])
  @ApiOperation({ summary: 'Per-RSE limits: {RSE: bytes}.', description: UNLIMITED_NOTE })
  @Answers.json(LIMITS_ANSWER, 'The limits by RSE.')
  async localLimits(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    sendRucioJson(res, 200, await this.limits.getRseLimits(issuer, account));
  }

  @Access.owner('account')
  @Get('limits/global')
  @ApiOperation({ summary: 'Per-expression limits: {expression: {limit, resolved_rses, resolved_rse_ids}}.', description: UNLIMITED_NOTE })
  @Answers.json(GLOBAL_LIMITS_ANSWER, 'The limits by RSE expression.')
  async globalLimits(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    const limits = await this.limits.getExpressionLimits(issuer, account);
    const body = Object.fromEntries(
      Object.entries(limits).map(([expression, l]) => [expression, { resolved_rses: l.resolvedRses, resolved_rse_ids: l.resolvedRseIds, limit: l.limit }]),
    );
    sendRucioJson(res, 200, body);
  }

  @Access.owner('account')
  @Get('limits/global/:expression')
  @ApiOperation({ summary: 'The limit on one RSE expression: {expression: bytes or null}.', description: UNLIMITED_NOTE })
  @Answers.json(LIMITS_ANSWER, 'The limit on the expression (null: none).')
  async globalLimit(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('expression') expression: string,
    @Res() res: Response,
  ): Promise<void> {
    const limits = await this.limits.getExpressionLimits(issuer, account);
    sendRucioJson(res, 200, { [expression]: limits[expression]?.limit ?? null });
  }

  @Access.owner('account')
  @Get(['limits/local/:rse', 'limits/:rse'])
  @ApiOperation({ summary: 'The limit on one RSE: {RSE: bytes or null}.', description: UNLIMITED_NOTE })
  @Answers.json(LIMITS_ANSWER, 'The limit on the RSE (null: none).')
  async localLimit(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('rse') rse: string, @Res() res: Response): Promise<void> {
    const limits = await this.limits.getRseLimits(issuer, account, rse);
    sendRucioJson(res, 200, { [rse]: limits[rse] ?? null });
  }

  @Access.admin()
  @Post('limits/local/:rse')
  @HttpCode(201)
  @ApiOperation({ summary: 'Set the account’s limit on an RSE (administrators).' })
  @Answers.created()
  async setLocalLimit(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('rse') rse: string,
    @Body() body: AccountLimitBody,
  ): Promise<string> {
    await this.limits.setRseLimit(issuer, account, rse, body.bytes);
    return 'Created';
  }

  @Access.admin()
  @Delete('limits/local/:rse')
  @ApiOperation({ summary: 'Remove the account’s limit on an RSE (administrators).' })
  @Answers.empty()
  async deleteLocalLimit(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('rse') rse: string): Promise<void> {
    await this.limits.deleteRseLimit(issuer, account, rse);
  }

  @Access.admin()
  @Post('limits/global/:expression')
  @HttpCode(201)
  @ApiOperation({ summary: 'Set the account’s limit on all RSEs of an expression together (administrators).' })
  @Answers.created()
  async setGlobalLimit(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('expression') expression: string,
    @Body() body: AccountLimitBody,
  ): Promise<string> {
    await this.limits.setExpressionLimit(issuer, account, expression, body.bytes);
    return 'Created';
  }

  @Access.admin()
  @Delete('limits/global/:expression')
  @ApiOperation({ summary: 'Remove the account’s limit on an RSE expression (administrators).' })
  @Answers.empty()
  async deleteGlobalLimit(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('expression') expression: string): Promise<void> {
    await this.limits.deleteExpressionLimit(issuer, account, expression);
  }

  @Access.owner('account')
  @Get(['usage', 'usage/local'])
  @ApiOperation({ summary: 'Usage and limit per RSE (NDJSON of {rse_id, rse, files, bytes, bytes_limit, bytes_remaining}).', description: UNLIMITED_NOTE })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(LOCAL_USAGE_LINE, 'Usage and limit per RSE.')
  async localUsage(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    await this.sendLocalUsage(issuer, account, undefined, res);
  }

  @Access.owner('account')
  @Get('usage/global')
  @ApiOperation({ summary: 'Usage per expression limit (NDJSON of {rse_expression, files, bytes, bytes_limit, bytes_remaining}).', description: UNLIMITED_NOTE })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(GLOBAL_USAGE_LINE, 'Usage per expression limit.')
  async globalUsage(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    await this.sendGlobalUsage(issuer, account, undefined, res);
  }

  @Access.owner('account')
  @Get('usage/global/:expression')
  @ApiOperation({ summary: 'Usage under one expression limit (NDJSON).', description: UNLIMITED_NOTE })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(GLOBAL_USAGE_LINE, 'Usage under the expression limit.')
  async globalUsageOf(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('expression') expression: string,
    @Res() res: Response,
  ): Promise<void> {
    await this.sendGlobalUsage(issuer, account, expression, res);
  }

  @Access.owner('account')
  @Get(['usage/local/:rse', 'usage/:rse'])
  @ApiOperation({ summary: 'Usage and limit on one RSE (NDJSON).', description: UNLIMITED_NOTE })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(LOCAL_USAGE_LINE, 'Usage and limit on the RSE.')
  async localUsageOf(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('rse') rse: string, @Res() res: Response): Promise<void> {
    await this.sendLocalUsage(issuer, account, rse, res);
  }

  private async sendLocalUsage(issuer: Issuer, account: string, rse: string | undefined, res: Response): Promise<void> {
    const usage = await this.limits.getRseUsage(issuer, account, rse);
    sendRucioNdjson(
      res,
      usage.map((u) => ({ rse_id: u.rseId, rse: u.rse, files: u.files, bytes: u.bytes, bytes_limit: u.bytesLimit, bytes_remaining: u.bytesRemaining })),
    );
  }

  private async sendGlobalUsage(issuer: Issuer, account: string, expression: string | undefined, res: Response): Promise<void> {
    const usage = (await this.limits.getExpressionUsage(issuer, account)).filter((u) => expression === undefined || u.rseExpression === expression);
    sendRucioNdjson(
      res,
      usage.map((u) => ({ rse_expression: u.rseExpression, files: u.files, bytes: u.bytes, bytes_limit: u.bytesLimit, bytes_remaining: u.bytesRemaining })),
    );
  }
}

/** Rucio's administrative routes for the same limits (accountlimits.py). */
@ApiTags('account limits')
@ApiSecurity('rucio-token')
@Controller('accountlimits')
export class AccountLimitsAdminController {
  constructor(@Inject(AccountLimitService) private readonly limits: AccountLimitService) {}

  @Access.admin()
  @Post(['local/:account/:rse', ':account/:rse'])
  @HttpCode(201)
  @ApiOperation({ summary: 'Set the account’s limit on an RSE (administrators).' })
  @Answers.created()
  async setLocal(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('rse') rse: string, @Body() body: AccountLimitBody): Promise<string> {
    await this.limits.setRseLimit(issuer, account, rse, body.bytes);
    return 'Created';
  }

  @Access.admin()
  @Delete(['local/:account/:rse', ':account/:rse'])
  @ApiOperation({ summary: 'Remove the account’s limit on an RSE (administrators).' })
  @Answers.empty()
  async deleteLocal(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('rse') rse: string): Promise<void> {
    await this.limits.deleteRseLimit(issuer, account, rse);
  }

  @Access.admin()
  @Post('global/:account/:expression')
  @HttpCode(201)
  @ApiOperation({ summary: 'Set the account’s limit on an RSE expression (administrators).' })
  @Answers.created()
  async setGlobal(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('expression') expression: string,
    @Body() body: AccountLimitBody,
  ): Promise<string> {
    await this.limits.setExpressionLimit(issuer, account, expression, body.bytes);
    return 'Created';
  }

  @Access.admin()
  @Delete('global/:account/:expression')
  @ApiOperation({ summary: 'Remove the account’s limit on an RSE expression (administrators).' })
  @Answers.empty()
  async deleteGlobal(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('expression') expression: string): Promise<void> {
    await this.limits.deleteExpressionLimit(issuer, account, expression);
  }
}
