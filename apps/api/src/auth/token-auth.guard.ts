import { BadRequestException, CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden } from '@tarn/domain';
import type { Response } from 'express';
import { AccountService, looksLikeJwt } from '@tarn/core';
import { ACCESS_POLICY, type AccessPolicy } from './access.decorator.js';
import { assertCsrf, requestTokenOf } from './browser-session.js';
import type { AuthenticatedRequest } from './current-issuer.decorator.js';

/**
 * Every route needs a token (X-Rucio-Auth-Token, Authorization: Bearer, or the web UI's session cookie with its CSRF
 * header on changes, see browser-session.ts) unless it declares @Access.public(): a token
 * Tarn issued, or a JWT access token of a configured identity provider (X-Rucio-Account then chooses among the accounts
 * of its identity).
 * Missing: 400, as Rucio answers; unknown or expired: 401 CannotAuthenticate (from the account service).
 * Administrator-only routes, and routes nobody may call, are refused here already; the finer policies (owner, reader) are the services' to apply.
 * A route without a declaration is refused (the API also refuses to start with one, see route-table.ts).
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccountService) private readonly accounts: AccountService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [context.getHandler(), context.getClass()]);
    if (policy?.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { method: string; path: string }>();
    const found = requestTokenOf(request.headers);
    if (!found) {
      throw new BadRequestException({
        exceptionClass: 'CannotAuthenticate',
        message:
          'This request carries no token. Authenticate first (GET /auth/userpass) and send the token as X-Rucio-Auth-Token or Authorization: Bearer.',
      });
    }
    const { token, fromCookie } = found;
    if (fromCookie) assertCsrf(request.method, request.path, request.headers, token);
    const account = request.headers['x-rucio-account'];
    try {
      request.issuer = await this.accounts.validateToken(token, { account: typeof account === 'string' && account ? account : undefined });
    } catch (error) {
      // RFC 6750: a refused bearer token is named in WWW-Authenticate, beside Rucio's error body.
      if (looksLikeJwt(token) && error instanceof Forbidden) {
        context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      }
      throw error;
    }
    if (!policy) throw new Forbidden(`${request.method} ${request.path} declares no access policy, so nobody may call it.`);
    if (policy.kind === 'nobody') throw new Forbidden(`No account may ${request.method} ${request.path}: ${policy.why}`);
    if (policy.kind === 'admin' && !request.issuer.admin) {
      throw new Forbidden(`Account '${request.issuer.account}' may not ${request.method} ${request.path}: only administrators may.`);
    }
    return true;
  }
}
