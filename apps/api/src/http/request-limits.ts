import { HttpException, HttpStatus, SetMetadata } from '@nestjs/common';

/**
 * The limits of one request, so that no request can hold the process (and in embedded mode every daemon with it):
 * JSON.parse cannot yield, so the largest body a route takes is what it may block the event loop for (about 6 ms
 * per MiB here). Each is answered with the limit named.
 */
export const REQUEST_LIMITS = {
  /** Bytes of a body, for most routes (a DID with its metadata, an RSE's settings, a rule). */
  bodyBytes: 1024 * 1024,
  /** Bytes of a body on the bulk routes (@BulkBody): thousands of replicas with their checksums and metadata. */
  bulkBodyBytes: 4 * 1024 * 1024,
  /** Elements of any one JSON list: split larger work into several requests. */
  listItems: 10_000,
  /** Nesting of JSON objects and lists. */
  depth: 32,
} as const;

export const BULK_BODY = 'tarn:bulk-body';

/** What one request to a route may carry. */
export interface BodyLimits {
  bytes: number;
  /** Elements of any one JSON list. */
  listItems: number;
}

/**
 * The route takes REQUEST_LIMITS.bulkBodyBytes of body rather than bodyBytes; `items` lowers the list limit where
 * each item is heavy work of its own (a rule per DID).
 */
export const BulkBody = (options: { items?: number } = {}): MethodDecorator => SetMetadata(BULK_BODY, options);

/** The limits of a route handler, from its @BulkBody (or none). */
export function bodyLimitsOf(handler: object): BodyLimits {
  const bulk: { items?: number } | undefined = Reflect.getMetadata(BULK_BODY, handler);
  if (!bulk) return { bytes: REQUEST_LIMITS.bodyBytes, listItems: REQUEST_LIMITS.listItems };
  return { bytes: REQUEST_LIMITS.bulkBodyBytes, listItems: bulk.items ?? REQUEST_LIMITS.listItems };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toLocaleString('en')} MiB (${bytes.toLocaleString('en')} bytes)`;

/** 413: the body is larger than the route takes. */
export function bodyTooLarge(route: string, limit: number, size?: number): HttpException {
  const got = size === undefined ? 'more than that' : `${size.toLocaleString('en')} bytes`;
  return new HttpException(
    {
      exceptionClass: 'InputValidationError',
      message: `The body of ${route} may be at most ${mib(limit)}; this one is ${got}. Split the work into several requests.`,
    },
    HttpStatus.PAYLOAD_TOO_LARGE,
  );
}

/** 413: a JSON list with more elements than one request may carry. */
export function tooManyItems(route: string, at: string, count: number, limit: number): HttpException {
  return new HttpException(
    {
      exceptionClass: 'InputValidationError',
      message:
        `${at} of the body of ${route} lists ${count.toLocaleString('en')} items; one request may list at most ` +
        `${limit.toLocaleString('en')}. Send them in several requests.`,
    },
    HttpStatus.PAYLOAD_TOO_LARGE,
  );
}
