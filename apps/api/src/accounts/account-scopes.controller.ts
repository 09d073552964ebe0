import { Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type Issuer, ScopeService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { sendJson } from '../http/rucio-wire.js';
import { scopeNamesOf } from '../scopes/scope-names.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';

@ApiTags('accounts')
@ApiSecurity('rucio-token')
@Controller('accounts/:account/scopes')
export class AccountScopesController {
  constructor(@Inject(ScopeService) private readonly scopes: ScopeService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'The account’s scope names (JSON array); 404 ScopeNotFound when it has none.' })
  @Answers.json(listOf('string'), "The account's scope names.")
  async list(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    sendJson(res, 200, await scopeNamesOf(this.scopes, issuer, account));
  }

  @Access.owner('account')
  @Post(':scope')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a scope owned by the account (administrators, or the account for itself).' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('scope') scope: string): Promise<string> {
    await this.scopes.addScope(issuer, { scope, account });
    return 'Created';
  }
}
