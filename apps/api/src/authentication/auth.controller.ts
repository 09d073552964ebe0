import { Controller, Get, Headers, Inject, Ip, Optional, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { oidcConfigurationWire, TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { Forbidden, NotFound } from '@tarn/domain';
import { AccountService } from '@tarn/core';
import { rfc1123, sendJson } from '../http/rucio-wire.js';
import { Answers } from '../http/answers.js';
import { OIDC_CONFIGURATION_ANSWER, TokenValidation } from './auth.dto.js';
import { Access } from '../auth/access.decorator.js';
import { requestTokenOf } from '../auth/browser-session.js';

function header(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function noCache(res: Response): void {
  res.setHeader('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(AccountService) private readonly accounts: AccountService,
    @Optional() @Inject(TARN_CONFIG) private readonly config?: TarnConfig,
  ) {}

  /**
   * Rucio's userpass login: the credentials travel in headers, the token comes back in headers with an empty body.
   * Every failure is 401 CannotAuthenticate, without saying which of account, username or password was wrong.
   */
  @Access.public()
  @Get('userpass')
  @ApiOperation({ summary: 'Log in with a username and password; the token is in the X-Rucio-Auth-Token header.' })
  @ApiHeader({
    name: 'X-Rucio-Account',
    required: false,
    description: 'The account to act as. Without it the username logs in to its only account, or the answer is 206 with the accounts it may act as.',
  })
  @ApiHeader({ name: 'X-Rucio-Username', required: true })
  @ApiHeader({ name: 'X-Rucio-Password', required: true })
  @ApiHeader({ name: 'X-Rucio-AppID', required: false, description: 'Accepted and ignored.' })
  @ApiHeader({ name: 'X-Rucio-VO', required: false, description: 'Accepted and ignored (Tarn has one VO).' })
  @ApiResponse({
    status: 429,
    description: 'Too many failed logins for this account or address lately: refused without checking the password until Retry-After seconds have passed.',
    headers: { 'Retry-After': { description: 'Seconds until logins are taken again.', schema: { type: 'integer' } } },
  })
  @ApiResponse({
    status: 206,
    description: 'No X-Rucio-Account was given and the username may act as several accounts: they are in X-Rucio-Auth-Accounts (comma-separated) and the body (a JSON array); ask again naming one.',
    headers: { 'X-Rucio-Auth-Accounts': { description: 'The accounts, comma-separated.', schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 200,
    description: 'Logged in; the body is empty, the token is in the headers.',
    headers: {
      'X-Rucio-Auth-Token': { description: 'The token: send it as X-Rucio-Auth-Token (or Authorization: Bearer).', schema: { type: 'string' } },
      'X-Rucio-Auth-Token-Expires': { description: 'When it expires (RFC 1123).', schema: { type: 'string' } },
      'X-Rucio-Auth-Account': { description: 'The account it acts as.', schema: { type: 'string' } },
    },
  })
  async userpass(
    @Headers('x-rucio-account') accountHeader: string | undefined,
    @Headers('x-rucio-username') usernameHeader: string | undefined,
    @Headers('x-rucio-password') passwordHeader: string | undefined,
    @Ip() ip: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    noCache(res);
    const [account, username, password] = [accountHeader, usernameHeader, passwordHeader].map(header);
    if (!username || !password) {
      throw new Forbidden('Cannot authenticate without X-Rucio-Username and X-Rucio-Password headers.', { rucioClass: 'CannotAuthenticate' });
    }
    res.setHeader('Access-Control-Expose-Headers', 'X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, X-Rucio-Auth-Account, X-Rucio-Auth-Accounts');
    // The client's address as Express sees it: X-Forwarded-For counts only from the proxies TARN_TRUST_PROXY names.
    const login = account
      ? await this.accounts.authenticateUserpass(account, username, password, { ip: ip || null })
      : await this.accounts.authenticateUserpassIdentity(username, password, { ip: ip || null });
    if ('accounts' in login) {
      res.setHeader('X-Rucio-Auth-Accounts', login.accounts.join(','));
      res.status(206).setHeader('Content-Type', 'application/octet-stream');
      res.end(JSON.stringify(login.accounts));
      return;
    }
    res.setHeader('X-Rucio-Auth-Account', login.account);
    res.setHeader('X-Rucio-Auth-Token', login.token);
    res.setHeader('X-Rucio-Auth-Token-Expires', rfc1123(login.expiresAt)!);
    res.status(200).setHeader('Content-Type', 'application/octet-stream');
    res.end();
  }

  /** The account behind the token in X-Rucio-Auth-Token (or Authorization: Bearer) and when the token expires. */
  @Access.account()
  @Get('validate')
  @ApiSecurity('rucio-token')
  @ApiOperation({ summary: 'Validate the request token and show what it stands for.' })
  @ApiOkResponse({ type: TokenValidation, description: 'The account behind the token and when the token expires.' })
  async validate(@Headers('x-rucio-account') account: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    noCache(res);
    // The guard found a token: in a header, or the web UI's session cookie.
    const { token } = requestTokenOf(req.headers)!;
    const info = await this.accounts.describeToken(token, { account: header(account) });
    sendJson(res, 200, {
      account: info.issuer.account,
      admin: info.issuer.admin,
      lifetime: rfc1123(info.expiresAt)!,
      kind: info.kind,
      identity: info.identity ?? null,
      groups: [...(info.issuer.groups ?? [])],
    } satisfies TokenValidation);
  }

  /** What `tarn login --oidc` needs to ask the identity provider for a token Tarn accepts. */
  @Access.public()
  @Get('oidc/configuration')
  @ApiOperation({ summary: "The identity providers whose tokens Tarn accepts, Tarn's audience and the client for logging in." })
  @Answers.json(OIDC_CONFIGURATION_ANSWER, 'The providers, audience, command-line client and scopes.')
  @ApiResponse({ status: 404, description: 'Tarn accepts no tokens of identity providers here (TARN_OIDC_ISSUERS is not set).' })
  oidcConfiguration(@Res() res: Response): void {
    const oidc = this.config?.oidc;
    if (!oidc) {
      throw new NotFound('This Tarn accepts no tokens of identity providers (TARN_OIDC_ISSUERS is not set): log in with a username and password.', {
        rucioClass: 'ConfigNotFound',
      });
    }
    sendJson(res, 200, oidcConfigurationWire(oidc));
  }
}
