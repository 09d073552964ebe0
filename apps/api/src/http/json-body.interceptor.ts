import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { readJsonBody } from './json-body.js';
import { bodyLimitsOf } from './request-limits.js';
import { handlerReadsBody } from './route-table.js';

/**
 * Reads the JSON body of the routes that take one (@Body()), once the guard let the request in, within the route's
 * limit (@BulkBody routes take more). Other routes never parse what they are sent.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly readsBody = new WeakMap<object, boolean>();

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handler = context.getHandler();
    let reads = this.readsBody.get(handler);
    if (reads === undefined) this.readsBody.set(handler, (reads = handlerReadsBody(context.getClass(), handler.name)));
    if (reads) {
      const req = context.switchToHttp().getRequest<Request>();
      req.body = await readJsonBody(req, `${req.method} ${req.route?.path ?? req.path}`, bodyLimitsOf(handler));
    }
    return next.handle();
  }
}
