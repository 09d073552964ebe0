import { Forbidden, InvalidInput, NotFound, QuotaExceeded, Transient } from '@tarn/domain';

/**
 * Errors of storage operations. Each extends the domain error of its kind (so the REST layer and the daemons
 * handle them like any other Tarn error: NOT_FOUND, FORBIDDEN, TRANSIENT...) and carries where it happened.
 * Messages say what failed, where, and what to do; the storage's own words follow, never stand alone.
 */
export interface StorageLocation {
  /** The RSE the protocol belongs to, when known. */
  rse?: string;
  /** posix, s3 or webdav. */
  protocol: string;
  /** The endpoint without credentials, e.g. `s3://127.0.0.1:9000/bucket/prefix/`. */
  endpoint: string;
  path?: string;
}

const STORAGE_ERROR = Symbol.for('tarn.storage-error');

function where(location: StorageLocation): string {
  const rse = location.rse ? `RSE ${location.rse}, ` : '';
  return `${rse}${location.protocol} ${location.endpoint}`;
}

function describe(location: StorageLocation): string {
  return location.path === undefined ? where(location) : `'${location.path}' on ${where(location)}`;
}

function details(location: StorageLocation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...location, ...extra };
}

function brand(error: object, location: StorageLocation, transient: boolean): void {
  Object.defineProperty(error, STORAGE_ERROR, { value: true });
  Object.assign(error, { storage: location, transient });
}

export class NotFoundOnStorage extends NotFound {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, cause?: unknown) {
    super(
      `File ${describe(location)} not found. Check the path; if the catalogue lists a replica there, declare it bad so that it is recovered from another copy.`,
      { rucioClass: 'ReplicaNotFound', details: details(location), cause },
    );
    brand(this, location, false);
  }
}

export class StoragePermissionDenied extends Forbidden {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, operation: string, reason: string, cause?: unknown) {
    super(
      `Permission denied to ${operation} ${describe(location)}: ${reason}. Check the credentials of this protocol ` +
        '(its extended attributes or the TARN_S3_*/TARN_WEBDAV_* environment) and the permissions on the storage.',
      { rucioClass: 'AccessDenied', details: details(location, { operation, reason }), cause },
    );
    brand(this, location, false);
  }
}

/** Transient: the storage did not answer, timed out or said it is busy. Retry later, or use another protocol. */
export class StorageUnavailable extends Transient {
  declare readonly storage: StorageLocation;
  declare readonly transient: true;

  constructor(location: StorageLocation, operation: string, reason: string, cause?: unknown) {
    super(
      `Storage endpoint ${where(location)} is unavailable (${reason}) while trying to ${operation}` +
        `${location.path === undefined ? '' : ` '${location.path}'`}. It is down, overloaded or unreachable from here: ` +
        'the operation can be retried later, or through another protocol or RSE.',
      { rucioClass: 'ServiceUnavailable', details: details(location, { operation, reason }), cause },
    );
    brand(this, location, true);
  }
}

/** The bytes that arrived are not the bytes expected (size or checksum); nothing was left at the path. */
export class ChecksumMismatch extends InvalidInput {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(
    location: StorageLocation,
    readonly mismatched: { what: string; expected: string; actual: string }[],
  ) {
    const list = mismatched.map((m) => `${m.what} ${m.actual} (expected ${m.expected})`).join(', ');
    super(
      `Data written to ${describe(location)} does not match: ${list}. The file was not committed. ` +
        'The source is corrupt or changed in transit: verify the source, or copy from another replica.',
      { rucioClass: 'InvalidObject', details: details(location, { mismatched }) },
    );
    brand(this, location, false);
  }
}

/** A path that is not a clean relative path inside the protocol prefix (`..`, absolute, NUL, symlink outside). */
export class InvalidStoragePath extends InvalidInput {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, reason: string) {
    super(`Refused path ${describe(location)}: ${reason}. Paths are relative to the protocol prefix and stay inside it.`, {
      rucioClass: 'InvalidPath',
      details: details(location, { reason }),
    });
    brand(this, location, false);
  }
}

export class StorageFull extends QuotaExceeded {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, reason: string, cause?: unknown) {
    super(`No space left to write ${describe(location)} (${reason}). Free space on the storage or write to another RSE.`, {
      rucioClass: 'RSEOverQuota',
      details: details(location, { reason }),
      cause,
    });
    brand(this, location, false);
  }
}

export class UnsupportedStorageOperation extends InvalidInput {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, operation: string, hint: string) {
    super(`${where(location)} does not support ${operation}. ${hint}`, {
      rucioClass: 'UnsupportedOperation',
      details: details(location, { operation }),
    });
    brand(this, location, false);
  }
}

/** The protocol is set up wrongly (unknown scheme, missing bucket or credentials, bad prefix). */
export class StorageMisconfigured extends InvalidInput {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, problem: string, cause?: unknown) {
    super(`Storage protocol ${describe(location)} is misconfigured: ${problem}`, {
      rucioClass: 'InvalidValueForKey',
      details: details(location, { problem }),
      cause,
    });
    brand(this, location, false);
  }
}

/** The storage answered with an error none of the classes above describes. Not retried blindly. */
export class StorageOperationFailed extends InvalidInput {
  declare readonly storage: StorageLocation;
  declare readonly transient: false;

  constructor(location: StorageLocation, operation: string, reason: string, cause?: unknown) {
    super(`Could not ${operation} ${describe(location)}: ${reason}.`, {
      rucioClass: 'InvalidObject',
      details: details(location, { operation, reason }),
      cause,
    });
    brand(this, location, false);
  }
}

export type StorageError =
  | NotFoundOnStorage
  | StoragePermissionDenied
  | StorageUnavailable
  | ChecksumMismatch
  | InvalidStoragePath
  | StorageFull
  | UnsupportedStorageOperation
  | StorageMisconfigured
  | StorageOperationFailed;

export function isStorageError(error: unknown): error is StorageError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[STORAGE_ERROR] === true;
}
