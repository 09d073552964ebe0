import { Controller, Get, Inject, Ip, Optional, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService } from '@tarn/core';
import { InvalidInput, isTarnError, NotFound } from '@tarn/domain';
import { Access } from '../auth/access.decorator.js';
import { SESSION_LIFETIME_SECONDS, setSessionCookie } from '../auth/browser-session.js';
import { STATUS_BY_CODE } from '../http/rucio-exception.filter.js';
import { OidcWebLogin } from './oidc-web-login.js';

const ACCOUNT = /^[A-Za-z0-9_.-]{1,25}$/;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A failed login is a page the person in front of the browser can read, with the way back. */
function loginFailedPage(res: Response, status: number, exceptionClass: string, message: string): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('ExceptionClass', exceptionClass);
  res.type('html').send(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tarn: login failed</title></head><body>' +
      `<main><h1>Login failed</h1><p>${escapeHtml(message)}</p><p><a href="/ui/">Back to Tarn's login</a></p></main></body></html>`,
  );
}

/** The web UI's "Log in with <provider>": see oidc-web-login.ts. */
@ApiTags('auth')
@Controller('auth/oidc')
export class OidcWebLoginController {
  constructor(
    @Inject(AccountService) private readonly accounts: AccountService,
    @Optional() @Inject(OidcWebLogin) private readonly login: OidcWebLogin | null,
  ) {}

  private configured(): OidcWebLogin {
    if (!this.login) {
      throw new NotFound("The web UI logs in with passwords only here (TARN_OIDC_WEB_CLIENT_ID is not set): log in with a username and password.", {
        rucioClass: 'ConfigNotFound',
      });
    }
    return this.login;
  }

  @Access.public()
  @Get('login')
  @ApiOperation({
    summary:
      "Start the web UI's login through the identity provider: a redirect to the provider (authorization code with PKCE), " +
      'with the state, nonce and PKCE verifier in the short-lived httpOnly cookie tarn_oidc_login.',
  })
  @ApiQuery({ name: 'account', required: false, description: 'The account to act as, when the identity is mapped to several.' })
  @ApiQuery({ name: 'next', required: false, description: 'The page of the web UI (/ui/...) to show once logged in.' })
  @ApiResponse({ status: 302, description: "To the identity provider's authorization endpoint." })
  @ApiResponse({ status: 404, description: 'The web UI has no login through an identity provider here (TARN_OIDC_WEB_CLIENT_ID is not set).' })
  @ApiResponse({ status: 503, description: 'The identity provider cannot be reached.' })
  async start(@Query('account') account: unknown, @Query('next') next: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const login = this.configured();
    if (account !== undefined && (typeof account !== 'string' || !ACCOUNT.test(account))) {
      throw new InvalidInput('The account to log in to must be an account name (letters, digits, _ . -, at most 25).', { rucioClass: 'InputValidationError' });
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, await login.start(req, res, { account: account as string | undefined, next }));
  }

  @Access.public()
  @Get('callback')
  @ApiOperation({
    summary:
      "Where the identity provider sends the browser back: the state is checked against this browser's login, the code exchanged " +
      "server-side, the ID token's nonce checked, and the access token mapped to an account as bearer tokens are; then the web UI's " +
      'session cookie tarn_session is set as by POST /auth/session. An identity mapped to several accounts goes back to the web UI to choose one.',
  })
  @ApiResponse({ status: 303, description: 'Logged in (to the web UI page asked for), or to the web UI to choose an account (?oidc_accounts=...).' })
  @ApiResponse({ status: 400, description: "A page saying why: no login waits in this browser, or the answer's state is not this login's." })
  @ApiResponse({ status: 401, description: 'A page saying why: the provider refused (a code used twice...), or its token is not for Tarn or maps to no account.' })
  @ApiResponse({ status: 404, description: 'A page saying that the web UI has no login through an identity provider here.' })
  @ApiResponse({ status: 503, description: 'A page saying that the identity provider cannot be reached.' })
  async callback(@Ip() ip: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    try {
      const login = this.configured();
      const { accessToken, subject, pending } = await login.finish(req, res);
      const session = await this.accounts.authenticateOidcSession(accessToken, pending.account, {
        ip: ip || null,
        lifetimeSeconds: SESSION_LIFETIME_SECONDS,
        subject,
      });
      if ('accounts' in session) {
        res.redirect(303, `/ui/?${new URLSearchParams({ oidc_accounts: session.accounts.join(','), next: pending.next })}`);
        return;
      }
      setSessionCookie(req, res, session.token, session.expiresAt);
      res.redirect(303, pending.next);
    } catch (error) {
      if (!isTarnError(error) || res.headersSent) throw error;
      loginFailedPage(res, STATUS_BY_CODE[error.code], error.rucioClass, error.message);
    }
  }
}
