import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { CatalogueOutage } from '@tarn/catalogue';
import { isTarnError, TarnError, Throttled } from '@tarn/domain';
import { sendJson } from './rucio-wire.js';

/** The HTTP status of each kind of Tarn error. */
export const STATUS_BY_CODE: Record<TarnError['code'], number> = {
  NOT_FOUND: HttpStatus.NOT_FOUND,
  DUPLICATE: HttpStatus.CONFLICT,
  INVALID_INPUT: HttpStatus.BAD_REQUEST,
  FORBIDDEN: HttpStatus.UNAUTHORIZED,
  QUOTA_EXCEEDED: HttpStatus.CONFLICT,
  CONFLICT: HttpStatus.CONFLICT,
  THROTTLED: HttpStatus.TOO_MANY_REQUESTS,
  TRANSIENT: HttpStatus.SERVICE_UNAVAILABLE,
};

const CLASS_BY_HTTP_STATUS: Record<number, string> = {
  400: 'InvalidObject',
  401: 'CannotAuthenticate',
  403: 'AccessDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Duplicate',
  413: 'InvalidObject',
  415: 'InvalidObject',
};

/** When a client may try again while the catalogue database does not answer. */
const RETRY_AFTER_SECONDS = 10;

/** Header values must be one line of Latin-1: keep the message readable, drop what HTTP cannot carry. */
function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 4000);
}

/**
 * Every error leaves the API in Rucio's shape: a JSON body {ExceptionClass, ExceptionMessage} and the same two
 * values as headers, because the stock client raises the exception class it reads there.
 */
@Catch()
export class RucioExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  /** `outage` tells errors of an unreachable catalogue database from others (and logs an outage once). */
  constructor(private readonly outage: CatalogueOutage) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    void this.answer(exception, host.switchToHttp().getResponse<Response>());
  }

  private async answer(exception: unknown, res: Response): Promise<void> {
    const { status, exceptionClass, message } = await this.describe(exception);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body refused for its size may still be arriving: the connection cannot carry another request after it.
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) res.setHeader('Connection', 'close');
    if (exceptionClass === 'DatabaseUnavailable') res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    if (exception instanceof Throttled) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    res.setHeader('ExceptionClass', exceptionClass);
    res.setHeader('ExceptionMessage', headerSafe(message));
    sendJson(res, status, { ExceptionClass: exceptionClass, ExceptionMessage: message });
  }

  private async describe(exception: unknown): Promise<{ status: number; exceptionClass: string; message: string }> {
    if (!(exception instanceof HttpException) && (await this.outage.check(exception))) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        exceptionClass: 'DatabaseUnavailable',
        message: `Tarn's catalogue database does not answer, so nothing was done; try again in a minute (Retry-After). Its operator sees the outage in Tarn's log.`,
      };
    }
    if (isTarnError(exception)) {
      return { status: STATUS_BY_CODE[exception.code], exceptionClass: exception.rucioClass, message: exception.message };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : exception.message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      const explicitClass = typeof body === 'object' && body !== null && 'exceptionClass' in body ? String(body.exceptionClass) : undefined;
      return { status, exceptionClass: explicitClass ?? CLASS_BY_HTTP_STATUS[status] ?? 'RucioException', message };
    }
    // Express's own client errors (http-errors), e.g. a path its router cannot decode.
    const httpError = exception as { status?: unknown; expose?: unknown; message?: string };
    if (typeof httpError.status === 'number' && httpError.status < 500 && httpError.expose) {
      return { status: httpError.status, exceptionClass: CLASS_BY_HTTP_STATUS[httpError.status] ?? 'InvalidObject', message: String(httpError.message) };
    }
    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      exceptionClass: 'RucioException',
      message: 'Tarn hit an internal error; the server log has the details. Please report it with the time of the request.',
    };
  }
}
