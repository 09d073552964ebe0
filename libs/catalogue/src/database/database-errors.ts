import { QueryFailedError } from 'typeorm';
import { Duplicate, InvalidInput, NotFound, TarnError, Transient } from '@tarn/domain';

interface PgError {
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
}

function pgError(error: unknown): PgError | undefined {
  if (error instanceof QueryFailedError) return error.driverError as PgError;
  if (error && typeof error === 'object' && 'code' in error && typeof (error as PgError).code === 'string') return error as PgError;
  return undefined;
}

export function sqlState(error: unknown): string | undefined {
  return pgError(error)?.code;
}

/** Serialization failures and deadlocks: the unit of work may simply run again. */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40001' || code === '40P01';
}

/**
 * The one place where PostgreSQL's SQLSTATE codes become Tarn's errors. Services normally check first and
 * raise a precise error; this catches what a concurrent writer slipped in between check and write.
 * `what` names the object of the unit of work ("rule for user.jdoe:run4711", "RSE SITE_A").
 */
export function translateDatabaseError(error: unknown, what: string): unknown {
  if (error instanceof TarnError) return error;
  const pg = pgError(error);
  if (!pg?.code) return error;
  const detail = pg.detail ? ` (${pg.detail})` : '';
  switch (pg.code) {
    case '23505':
      return new Duplicate(`${what} already exists${detail}.`, { details: { constraint: pg.constraint }, cause: error });
    case '23503':
      return new NotFound(`${what} refers to something that does not exist${detail}.`, {
        rucioClass: 'DataIdentifierNotFound',
        details: { constraint: pg.constraint },
        cause: error,
      });
    case '23502':
    case '23514':
      return new InvalidInput(`${what} has an invalid value: ${(error as Error).message}${detail}.`, { cause: error });
    case '40001':
    case '40P01':
    case '55P03':
    case '57014':
    case '53300':
      return new Transient(`${what} could not be completed now because of concurrent work (${pg.code}); try again.`, {
        cause: error,
      });
    default:
      // Class 22, data exceptions: a value PostgreSQL cannot take (too long, out of range, a NUL, a bad date...).
      if (pg.code.startsWith('22')) return new InvalidInput(`${what} has an invalid value: ${(error as Error).message}${detail}.`, { cause: error });
      return error;
  }
}
