import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { readJsonBody } from './json-body.js';
import { BULK_BODY, REQUEST_LIMITS } from './request-limits.js';
import { handlerReadsBody } from './route-table.js';

/**
 * Reads the JSON body of the routes that take one (@Body()), once the guard let the request in, within the route's
 * limit (@BulkBody routes take more). Other routes never parse what they are sent.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly readsBody = new WeakMap<object, boolean>();

  constructor(private readonly reflector: Reflector) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handler = context.getHandler();
    let reads = this.readsBody.get(handler);
    if (reads === undefined) this.readsBody.set(handler, (reads = handlerReadsBody(context.getClass(), handler.name)));
    if (reads) {
      const req = context.switchToHttp().getRequest<Request>();
      const limit = this.reflector.get<boolean>(BULK_BODY, handler) ? REQUEST_LIMITS.bulkBodyBytes : REQUEST_LIMITS.bodyBytes;
      req.body = await readJsonBody(req, `${req.method} ${req.route?.path ?? req.path}`, limit);
    }
    return next.handle();
  }
}
