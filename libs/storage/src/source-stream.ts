import { Readable } from 'node:stream';
import { errorChain } from './error-codes.js';
import { StorageOperationFailed, isStorageError, type StorageLocation } from './storage.errors.js';

/** Marks an error as coming from the source of a write, not from the storage written to. */
export class SourceStreamFailed extends Error {
  constructor(readonly original: unknown) {
    super(`the source stream failed: ${messageOf(original)}`);
  }
}

/**
 * The bytes of `source`, its own errors (including being destroyed before its end) wrapped in
 * SourceStreamFailed. A failure further down the pipeline ends the iteration without blaming the source.
 */
export async function* taggedSource(source: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk as Buffer;
  } catch (error) {
    throw new SourceStreamFailed(error);
  }
}

/**
 * The error a write reports when it was not the storage written to that failed: a storage error raised on
 * the way (a ChecksumMismatch of the verifier, the source's own storage error), or the source stream's
 * failure as one naming the write. Looks through the causes: HTTP clients wrap body errors.
 */
export function sourceFailure(error: unknown, location: StorageLocation): Error | undefined {
  const inner = errorChain(error).find((e) => isStorageError(e) || e instanceof SourceStreamFailed);
  if (isStorageError(inner)) return inner;
  if (!(inner instanceof SourceStreamFailed)) return undefined;
  if (isStorageError(inner.original)) return inner.original;
  return new StorageOperationFailed(
    location,
    'write',
    `the source stream failed before its end (${messageOf(inner.original)}); nothing was left at the path`,
    inner.original,
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
