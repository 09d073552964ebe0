import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInput } from '@tarn/domain';
import { AccountService, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { sendJson } from '../http/rucio-wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';

@ApiTags('identities')
@ApiSecurity('rucio-token')
@Controller('identities')
export class IdentitiesController {
  constructor(@Inject(AccountService) private readonly accounts: AccountService) {}

  /** Rucio's PUT /identities/<account>/userpass (credentials in headers); POST is accepted too. Administrators. */
  @Access.admin()
  @Put(':account/userpass')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a username/password identity and map it to the account (administrators).' })
  @ApiHeader({ name: 'X-Rucio-Username', required: true })
  @ApiHeader({ name: 'X-Rucio-Password', required: true })
  @ApiHeader({ name: 'X-Rucio-Email', required: false })
  @Answers.created()
  async addUserpass(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Headers('x-rucio-username') username: string | undefined,
    @Headers('x-rucio-password') password: string | undefined,
    @Headers('x-rucio-email') email: string | undefined,
  ): Promise<string> {
    if (!username || !password) {
      throw new InvalidInput('Give the new identity in the X-Rucio-Username and X-Rucio-Password headers.', { rucioClass: 'InputValidationError' });
    }
    await this.accounts.addUserpassIdentity(issuer, { account, username, password, email: email || null });
    return 'Created';
  }

  @Access.admin()
  @Post(':account/userpass')
  @HttpCode(201)
  @ApiOperation({ summary: 'Same as PUT /identities/<account>/userpass.' })
  @ApiHeader({ name: 'X-Rucio-Username', required: true })
  @ApiHeader({ name: 'X-Rucio-Password', required: true })
  @ApiHeader({ name: 'X-Rucio-Email', required: false })
  @Answers.created()
  addUserpassByPost(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Headers('x-rucio-username') username: string | undefined,
    @Headers('x-rucio-password') password: string | undefined,
    @Headers('x-rucio-email') email: string | undefined,
  ): Promise<string> {
    return this.addUserpass(issuer, account, username, password, email);
  }

  @Access.admin()
  @Get('accounts')
  @ApiOperation({ summary: 'The accounts an identity may act as, the identity in the query (identity_key, type), as the web UI asks (administrators).' })
  @Answers.json(listOf('string'), 'The account names.')
  async accountsOfQuery(
    @CurrentIssuer() issuer: Issuer,
    @Query('identity_key') identity: string | undefined,
    @Query('type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (typeof identity !== 'string' || !identity || typeof type !== 'string' || !type) {
      throw new InvalidInput('Give the identity as ?identity_key=<identity>&type=<USERPASS|OIDC|...>.', { rucioClass: 'InvalidObject' });
    }
    sendJson(res, 200, await this.accounts.listAccountsOfIdentity(issuer, identity, type));
  }

  @Access.admin()
  @Get(':identity/:type/accounts')
  @ApiOperation({ summary: 'The accounts an identity may act as (JSON array of names; administrators).' })
  @Answers.json(listOf('string'), 'The account names.')
  async accountsOf(
    @CurrentIssuer() issuer: Issuer,
    @Param('identity') identity: string,
    @Param('type') type: string,
    @Res() res: Response,
  ): Promise<void> {
    sendJson(res, 200, await this.accounts.listAccountsOfIdentity(issuer, identity, type));
  }
}
