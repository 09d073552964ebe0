import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Issuer } from '@tarn/core';

export interface AuthenticatedRequest {
  issuer?: Issuer;
  headers: Record<string, string | string[] | undefined>;
}

/** The account the request acts as, resolved from its token by TokenAuthGuard. */
export const CurrentIssuer = createParamDecorator((_data: unknown, context: ExecutionContext): Issuer => {
  const issuer = context.switchToHttp().getRequest<AuthenticatedRequest>().issuer;
  if (!issuer) throw new Error('CurrentIssuer used on a route without TokenAuthGuard');
  return issuer;
});
