import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInput } from '@tarn/domain';
import { AccountService, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { listAccountsFiltered } from './account-list.js';
import { accountInfo, accountListEntry, fromArray } from './account-wire.js';
import { AccountAttributeBody, AccountChangesBody, NewAccountBody } from './accounts.dto.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { ACCOUNT_ANSWER, ACCOUNT_ATTRIBUTES_ANSWER, ACCOUNT_LINE } from './account-wire.js';

const CHANGEABLE = ['status', 'email'];

@ApiTags('accounts')
@ApiSecurity('rucio-token')
@Controller('accounts')
export class AccountsController {
  constructor(@Inject(AccountService) private readonly accounts: AccountService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'List accounts (NDJSON). Filters: account_type, status, account and email (with *), identity, or attribute=value.' })
  @ApiProduces(NDJSON_TYPE)
  @ApiQuery({ name: 'account_type', required: false })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'account', required: false, description: 'A name pattern with * wildcards.' })
  @ApiQuery({ name: 'identity', required: false })
  @ApiQuery({ name: 'email', required: false, description: 'An address, or a pattern with * wildcards (any case).' })
  @Answers.ndjson(ACCOUNT_LINE, 'The accounts.')
  async list(@CurrentIssuer() issuer: Issuer, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const rows = await listAccountsFiltered(this.accounts, issuer, query);
    await streamNdjson(res, fromArray(rows.map(accountListEntry)));
  }

  /** `whoami` answers 303 to the caller's own account, as Rucio (the client follows the redirect). */
  @Access.account()
  @Get(':account')
  @ApiOperation({ summary: 'Show an account; /accounts/whoami redirects (303) to the caller’s account.' })
  @ApiResponse({ status: 303, description: 'For whoami: Location /accounts/<account>.' })
  @Answers.json(ACCOUNT_ANSWER, 'The account.')
  async get(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    if (account === 'whoami') {
      res.redirect(303, `/accounts/${encodeURIComponent(issuer.account)}`);
      return;
    }
    sendJson(res, 200, accountInfo(await this.accounts.getAccount(issuer, account)));
  }

  @Access.admin()
  @Post(':account')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add an account (administrators).' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Body() body: NewAccountBody): Promise<string> {
    await this.accounts.addAccount(issuer, { account, type: body.type, email: body.email });
    return 'Created';
  }

  @Access.admin()
  @Put(':account')
  @ApiOperation({ summary: 'Change an account’s status and/or email (administrators).' })
  @Answers.empty()
  async update(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Body() body: AccountChangesBody): Promise<void> {
    const unknown = Object.keys(body ?? {}).filter((key) => !CHANGEABLE.includes(key));
    if (unknown.length > 0) {
      throw new InvalidInput(`Account property ${unknown.map((k) => `'${k}'`).join(', ')} cannot be changed: only ${CHANGEABLE.join(' and ')} can.`, {
        rucioClass: 'UnsupportedOperation',
      });
    }
    if (Object.keys(body).length === 0) {
      throw new InvalidInput('Nothing to change: give status and/or email.', { rucioClass: 'InvalidObject' });
    }
    await this.accounts.updateAccount(issuer, account, body);
  }

  @Access.admin()
  @Delete(':account')
  @ApiOperation({ summary: 'Delete an account (status DELETED; its name is never reused).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('account') account: string): Promise<void> {
    await this.accounts.deleteAccount(issuer, account);
  }

  @Access.account()
  @Get(':account/attr')
  @ApiOperation({ summary: 'List the attributes of an account, as a JSON array of {key, value}.' })
  @Answers.json(ACCOUNT_ATTRIBUTES_ANSWER, "The account's attributes.")
  async attributes(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    sendJson(res, 200, await this.accounts.listAttributes(issuer, account));
  }

  @Access.admin()
  @Post(':account/attr/:key')
  @HttpCode(201)
  @ApiOperation({ summary: 'Set an account attribute (administrators); an existing value is replaced.' })
  @ApiBody({ type: AccountAttributeBody })
  @Answers.created()
  async setAttribute(
    @CurrentIssuer() issuer: Issuer,
    @Param('account') account: string,
    @Param('key') key: string,
    @Body() body: AccountAttributeBody,
  ): Promise<string> {
    await this.accounts.setAttribute(issuer, account, key, body.value);
    return 'Created';
  }

  @Access.admin()
  @Delete(':account/attr/:key')
  @ApiOperation({ summary: 'Delete an account attribute (administrators).' })
  @Answers.empty()
  async deleteAttribute(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('key') key: string): Promise<void> {
    await this.accounts.deleteAttribute(issuer, account, key);
  }
}
