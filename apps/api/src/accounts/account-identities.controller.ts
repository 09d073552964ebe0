import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccountService, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, streamNdjson } from '../http/rucio-wire.js';
import { fromArray, identityEntry } from './account-wire.js';
import { IdentityRefBody, NewIdentityBody } from './accounts.dto.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { IDENTITY_LINE } from './account-wire.js';

@ApiTags('accounts')
@ApiSecurity('rucio-token')
@Controller('accounts/:account/identities')
export class AccountIdentitiesController {
  constructor(@Inject(AccountService) private readonly accounts: AccountService) {}

  @Access.owner('account')
  @Get()
  @ApiOperation({ summary: 'The identities mapped to the account (NDJSON of {type, identity, email}); the account itself or administrators.' })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(IDENTITY_LINE, "The account's identities.")
  async list(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    const identities = await this.accounts.listIdentities(issuer, account);
    await streamNdjson(res, fromArray(identities.map(identityEntry)));
  }

  @Access.admin()
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Map an identity to the account, creating it if new (a new USERPASS identity needs a password). Administrators.' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Body() body: NewIdentityBody): Promise<string> {
    await this.accounts.addAccountIdentity(issuer, {
      account,
      identity: body.identity,
      type: body.authtype,
      password: body.password ?? undefined,
      email: body.email ?? null,
      isDefault: body.default ?? false,
    });
    return 'Created';
  }

  @Access.admin()
  @Delete()
  @ApiOperation({ summary: 'Remove an identity from the account (the identity stays for its other accounts). Administrators.' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Body() body: IdentityRefBody): Promise<void> {
    await this.accounts.deleteAccountIdentity(issuer, { account, identity: body.identity, type: body.authtype });
  }
}
