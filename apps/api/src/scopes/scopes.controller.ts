import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type Issuer, ScopeService, type ScopeView } from '@tarn/core';
import { rucioDateTime } from '../accounts/account-wire.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { sendJson } from '../http/rucio-wire.js';
import { scopeNamesOf } from './scope-names.js';
import { ScopeAnswer, ScopeRestrictionBody } from './scopes.dto.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf, shape } from '../http/answers.js';

const scopeAnswer = (view: ScopeView): ScopeAnswer => ({
  scope: view.scope,
  account: view.account,
  restricted: view.restricted,
  is_default: view.isDefault,
  closed: view.closed,
  created_at: rucioDateTime(view.createdAt)!,
});

@ApiTags('scopes')
@ApiSecurity('rucio-token')
@Controller('scopes')
export class ScopesController {
  constructor(@Inject(ScopeService) private readonly scopes: ScopeService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'All scope names (JSON array).' })
  @Answers.json(listOf('string'), 'The scope names.')
  async list(@CurrentIssuer() issuer: Issuer, @Res() res: Response): Promise<void> {
    sendJson(res, 200, (await this.scopes.listScopes(issuer)).map((s) => s.scope));
  }

  @Access.account()
  @Get('owner')
  @ApiOperation({ summary: 'All scopes with their owners (JSON array of {scope, account}).' })
  @Answers.json(listOf(shape({ scope: 'string', account: 'string' })), 'The scopes with their owners.')
  async owners(@CurrentIssuer() issuer: Issuer, @Res() res: Response): Promise<void> {
    sendJson(res, 200, (await this.scopes.listScopes(issuer)).map((s) => ({ scope: s.scope, account: s.account })));
  }

  @Access.owner('account')
  @Post(':account/:scope')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a scope owned by the account (administrators, or the account for itself).' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('scope') scope: string): Promise<string> {
    await this.scopes.addScope(issuer, { scope, account });
    return 'Created';
  }

  @Access.account()
  @Get(':account/scopes')
  @ApiOperation({ summary: 'The account’s scope names (JSON array); 404 ScopeNotFound when it has none.' })
  @Answers.json(listOf('string'), "The account's scope names.")
  async ofAccount(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    sendJson(res, 200, await scopeNamesOf(this.scopes, issuer, account));
  }

  // Tarn's own routes (not in Rucio): embargoed scopes and the accounts granted access to a scope.

  @Access.owner('scope-owner')
  @Put(':scope/restricted')
  @ApiOperation({
    summary: 'Restrict (embargo) or open a scope. Tarn only.',
    description: 'A restricted scope is readable only by its owner, the accounts it grants access and administrators. Owner or administrators.',
  })
  @ApiOkResponse({ type: ScopeAnswer, description: 'The scope as it is now.' })
  async setRestricted(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Body() body: ScopeRestrictionBody,
    @Res() res: Response,
  ): Promise<void> {
    sendJson(res, 200, scopeAnswer(await this.scopes.setRestricted(issuer, scope, body.restricted)));
  }

  @Access.admin()
  @Put(':account/:scope')
  @ApiOperation({
    summary:
      "Give a scope another owner (Rucio update_scope; administrators). The scope's DIDs keep their accounts. " +
      "(PUT /scopes/<scope>/restricted is Tarn's embargo route: a scope named 'restricted' cannot be given away here.)",
  })
  @HttpCode(201)
  @Answers.created()
  async changeOwner(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('scope') scope: string): Promise<string> {
    await this.scopes.changeOwner(issuer, scope, account);
    return 'Created';
  }

  @Access.owner('scope-owner')
  @Get(':scope/grants')
  @ApiOperation({ summary: 'The accounts granted access to a scope (JSON array). Tarn only; owner or administrators.' })
  @Answers.json(listOf('string'), 'The accounts granted access.')
  async grants(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Res() res: Response): Promise<void> {
    sendJson(res, 200, await this.scopes.listGrants(issuer, scope));
  }

  @Access.owner('scope-owner')
  @Post(':scope/grants/:account')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Grant an account access to a scope: it may write there, and read it when restricted. Tarn only; owner or administrators.',
  })
  @Answers.created()
  async grant(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('account') account: string): Promise<string> {
    await this.scopes.grantAccess(issuer, scope, account);
    return 'Created';
  }

  @Access.owner('scope-owner')
  @Delete(':scope/grants/:account')
  @ApiOperation({ summary: 'Withdraw an account’s access to a scope (idempotent). Tarn only; owner or administrators.' })
  @Answers.empty()
  async revoke(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('account') account: string): Promise<void> {
    await this.scopes.revokeAccess(issuer, scope, account);
  }
}
