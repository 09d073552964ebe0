import { BadRequestException, CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccountService } from '@tarn/core';
import type { AuthenticatedRequest } from './current-issuer.decorator.js';
import { IS_PUBLIC } from './public.decorator.js';

function tokenOf(request: AuthenticatedRequest): string | undefined {
  const header = request.headers['x-rucio-auth-token'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) return authorization.slice(7).trim();
  return undefined;
}

/**
 * Every route needs a token (X-Rucio-Auth-Token, or Authorization: Bearer) unless marked @Public().
 * Missing: 400, as Rucio answers; unknown or expired: 401 CannotAuthenticate (from the account service).
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccountService) private readonly accounts: AccountService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = tokenOf(request);
    if (!token) {
      throw new BadRequestException({
        exceptionClass: 'CannotAuthenticate',
        message:
          'This request carries no token. Authenticate first (GET /auth/userpass) and send the token as X-Rucio-Auth-Token or Authorization: Bearer.',
      });
    }
    request.issuer = await this.accounts.validateToken(token);
    return true;
  }
}
