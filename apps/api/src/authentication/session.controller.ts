import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Ip, Optional, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService } from '@tarn/core';
import { InvalidInput } from '@tarn/domain';
import { Access } from '../auth/access.decorator.js';
import { clearSessionCookie, csrfTokenOf, requestTokenOf, SESSION_LIFETIME_SECONDS, sessionTokenOf, setSessionCookie } from '../auth/browser-session.js';
import { Answers } from '../http/answers.js';
import { rfc1123, sendJson } from '../http/rucio-wire.js';
import { OidcWebLogin } from './oidc-web-login.js';
import { SESSION_ACCOUNTS_ANSWER, SESSION_ANSWER, SESSION_LOGOUT_ANSWER, SessionLoginBody } from './session.dto.js';

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

/** The web UI's login: a Tarn token in an httpOnly cookie instead of a header (see browser-session.ts). */
@ApiTags('auth')
@Controller('auth/session')
export class SessionController {
  constructor(
    @Inject(AccountService) private readonly accounts: AccountService,
    @Optional() @Inject(OidcWebLogin) private readonly providerLogin: OidcWebLogin | null,
  ) {}

  @Access.public()
  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      "Log in for the web UI with a username and password: the token is set as the httpOnly cookie tarn_session (SameSite=Strict, 8 hours); " +
      'the answer gives the CSRF token to send as X-Tarn-CSRF with every change. Throttled as GET /auth/userpass.',
  })
  @ApiResponse({ status: 429, description: 'Too many failed logins for this account or address lately (Retry-After).' })
  @Answers.json(SESSION_ACCOUNTS_ANSWER, 'No account was given and the username may act as several: choose one and log in again naming it.', 206)
  @Answers.json(SESSION_ANSWER, 'Logged in.')
  async login(@Body() body: SessionLoginBody, @Ip() ip: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    // A page of another site can post a form (text/plain bodies can be JSON too) but not application/json: so no
    // other site can log a browser in to an account of its choosing.
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      throw new InvalidInput('Log in to the web UI with a JSON body sent as Content-Type: application/json.', { rucioClass: 'InputValidationError' });
    }
    const username = body.username ?? body.account;
    if (username === undefined) {
      throw new InvalidInput('Logging in needs a username (and the account to act as, unless the username has only one).', { rucioClass: 'InputValidationError' });
    }
    const options = { ip: ip || null, lifetimeSeconds: SESSION_LIFETIME_SECONDS };
    const login = body.account
      ? await this.accounts.authenticateUserpass(body.account, username, body.password, options)
      : await this.accounts.authenticateUserpassIdentity(username, body.password, options);
    if ('accounts' in login) {
      sendJson(res, 206, { accounts: login.accounts });
      return;
    }
    const { issuer } = await this.accounts.describeToken(login.token);
    setSessionCookie(req, res, login.token, login.expiresAt);
    sendJson(res, 200, { account: issuer.account, admin: issuer.admin, expires_at: rfc1123(login.expiresAt), csrf_token: csrfTokenOf(login.token) });
  }

  @Access.account()
  @Get()
  @ApiSecurity('rucio-token')
  @ApiOperation({ summary: "The web UI's session: its account, whether it is an administrator, its expiry and its CSRF token." })
  @Answers.json(SESSION_ANSWER, 'The session.')
  async show(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const { token } = requestTokenOf(req.headers)!;
    const info = await this.accounts.describeToken(token);
    sendJson(res, 200, { account: info.issuer.account, admin: info.issuer.admin, expires_at: rfc1123(info.expiresAt), csrf_token: csrfTokenOf(token) });
  }

  @Access.account()
  @Delete()
  @ApiSecurity('rucio-token')
  @ApiOperation({
    summary:
      "Log out of the web UI: the session cookie's token is revoked and the cookie cleared (a token sent in a header is left alone). " +
      "A session opened through the identity provider also gets the provider's logout page, for the browser to go to.",
  })
  @Answers.json(SESSION_LOGOUT_ANSWER, 'Logged out.')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    noStore(res);
    const token = sessionTokenOf(req.headers);
    let endSessionUrl: string | null = null;
    if (token !== undefined) {
      if (this.providerLogin) {
        const { identity } = await this.accounts.describeToken(token);
        if (this.providerLogin.isIdentityOf(identity)) endSessionUrl = await this.providerLogin.logoutUrl(req);
      }
      await this.accounts.revokeToken(token);
    }
    clearSessionCookie(req, res);
    sendJson(res, 200, { end_session_url: endSessionUrl });
  }
}
