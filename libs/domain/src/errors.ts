/**
 * Tarn's error hierarchy. Each error carries the Rucio exception class name that the REST layer puts on
 * the wire (ExceptionClass header and body), because the stock Rucio client raises by that name.
 * Names are taken from rucio/common/exception.py; an unknown name would make the client raise a bare
 * RucioException instead of the specific class.
 */

export type NotFoundClass =
  | 'DataIdentifierNotFound'
  | 'RSENotFound'
  | 'RuleNotFound'
  | 'AccountNotFound'
  | 'ScopeNotFound'
  | 'ReplicaNotFound'
  | 'RequestNotFound'
  | 'SubscriptionNotFound'
  | 'IdentityNotFound'
  | 'RSEAttributeNotFound'
  | 'RSEProtocolNotSupported'
  | 'KeyNotFound'
  | 'CounterNotFound'
  | 'ConfigNotFound'
  | 'LifetimeExceptionNotFound';

export type DuplicateClass =
  | 'Duplicate'
  | 'DataIdentifierAlreadyExists'
  | 'DuplicateRule'
  | 'DuplicateContent'
  | 'FileReplicaAlreadyExists'
  | 'SubscriptionDuplicate';

export type InvalidInputClass =
  | 'InvalidObject'
  | 'InvalidRSEExpression'
  | 'InvalidValueForKey'
  | 'UnsupportedOperation'
  | 'InvalidRuleWeight'
  | 'InvalidType'
  | 'InvalidPath'
  | 'InputValidationError'
  | 'InvalidMetadata'
  | 'InvalidReplicationRule'
  | 'UnsupportedDIDType'
  | 'UnsupportedStatus'
  | 'RuleReplaceFailed'
  | 'ReplicaIsLocked'
  | 'StagingAreaRuleRequiresLifetime';

export type ForbiddenClass = 'AccessDenied' | 'ScopeAccessDenied' | 'CannotAuthenticate' | 'CannotAuthorize';

export type QuotaExceededClass =
  | 'InsufficientAccountLimit'
  | 'InsufficientTargetRSEs'
  | 'RSEOverQuota'
  | 'RSEWriteBlocked';

/** A request that conflicts with the state of what it names (Rucio answers these 409). */
export type ConflictClass = 'UnsupportedOperation' | 'UnsupportedStatus';

export type TransientClass =
  | 'ServiceUnavailable'
  | 'DatabaseException'
  | 'ResourceTemporaryUnavailable'
  | 'ReplicationRuleCreationTemporaryFailed';

export type RucioClass =
  | NotFoundClass
  | DuplicateClass
  | InvalidInputClass
  | ForbiddenClass
  | QuotaExceededClass
  | ConflictClass
  | TransientClass
  | 'RucioException';

export type TarnErrorCode =
  | 'NOT_FOUND'
  | 'DUPLICATE'
  | 'INVALID_INPUT'
  | 'FORBIDDEN'
  | 'QUOTA_EXCEEDED'
  | 'CONFLICT'
  | 'THROTTLED'
  | 'TRANSIENT';

export interface TarnErrorOptions<C extends RucioClass> {
  rucioClass?: C;
  /** Structured facts for logs and API consumers (ids, names, numbers); never needed to read the message. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The body and headers the Rucio REST API answers with on error. */
export interface RucioWireError {
  ExceptionClass: string;
  ExceptionMessage: string;
}

export abstract class TarnError<C extends RucioClass = RucioClass> extends Error {
  abstract readonly code: TarnErrorCode;
  readonly rucioClass: C;
  readonly details: Record<string, unknown>;

  protected constructor(message: string, defaultClass: C, options: TarnErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.rucioClass = options.rucioClass ?? defaultClass;
    this.details = options.details ?? {};
  }

  toWire(): RucioWireError {
    return { ExceptionClass: this.rucioClass, ExceptionMessage: this.message };
  }
}

export class NotFound extends TarnError<NotFoundClass> {
  readonly code = 'NOT_FOUND' as const;

  constructor(message: string, options: TarnErrorOptions<NotFoundClass> = {}) {
    super(message, 'DataIdentifierNotFound', options);
  }

  static did(scope: string, name: string): NotFound {
    return new NotFound(
      `Data identifier ${scope}:${name} not found. Check the scope and name (list-dids ${scope}:*), or register it first.`,
      { rucioClass: 'DataIdentifierNotFound', details: { scope, name } },
    );
  }

  static rse(rse: string): NotFound {
    return new NotFound(`RSE '${rse}' not found. Check the name (RSE names are upper case) or add the RSE first.`, {
      rucioClass: 'RSENotFound',
      details: { rse },
    });
  }

  static rule(ruleId: string): NotFound {
    return new NotFound(`Replication rule ${ruleId} not found. It may have expired or been deleted; list the DID's rules to find the current one.`, {
      rucioClass: 'RuleNotFound',
      details: { ruleId },
    });
  }

  static account(account: string): NotFound {
    return new NotFound(`Account '${account}' not found. Check the name or ask an administrator to create it.`, {
      rucioClass: 'AccountNotFound',
      details: { account },
    });
  }

  static scope(scope: string): NotFound {
    return new NotFound(`Scope '${scope}' not found. Check the name or ask an administrator to create it for your account.`, {
      rucioClass: 'ScopeNotFound',
      details: { scope },
    });
  }
}

export class Duplicate extends TarnError<DuplicateClass> {
  readonly code = 'DUPLICATE' as const;

  constructor(message: string, options: TarnErrorOptions<DuplicateClass> = {}) {
    super(message, 'Duplicate', options);
  }

  static did(scope: string, name: string): Duplicate {
    return new Duplicate(
      `Data identifier ${scope}:${name} already exists (or existed: names of deleted DIDs stay reserved). Choose another name.`,
      { rucioClass: 'DataIdentifierAlreadyExists', details: { scope, name } },
    );
  }

  static rule(scope: string, name: string, account: string, rseExpression: string, copies: number): Duplicate {
    return new Duplicate(
      `Account '${account}' already has a rule for ${copies} cop${copies === 1 ? 'y' : 'ies'} of ${scope}:${name} on '${rseExpression}'. ` +
        'Update that rule instead of adding another.',
      { rucioClass: 'DuplicateRule', details: { scope, name, account, rseExpression, copies } },
    );
  }

  static rse(rse: string): Duplicate {
    // Rucio has no RSE-specific class: adding an existing RSE raises Duplicate.
    return new Duplicate(`RSE '${rse}' already exists. Update it instead, or choose another name.`, {
      rucioClass: 'Duplicate',
      details: { rse },
    });
  }
}

export class InvalidInput extends TarnError<InvalidInputClass> {
  readonly code = 'INVALID_INPUT' as const;

  constructor(message: string, options: TarnErrorOptions<InvalidInputClass> = {}) {
    super(message, 'InvalidObject', options);
  }
}

export class Forbidden extends TarnError<ForbiddenClass> {
  readonly code = 'FORBIDDEN' as const;

  constructor(message: string, options: TarnErrorOptions<ForbiddenClass> = {}) {
    super(message, 'AccessDenied', options);
  }
}

export class QuotaExceeded extends TarnError<QuotaExceededClass> {
  readonly code = 'QUOTA_EXCEEDED' as const;

  constructor(message: string, options: TarnErrorOptions<QuotaExceededClass> = {}) {
    super(message, 'InsufficientAccountLimit', options);
  }
}

/** The request conflicts with the current state, e.g. closing a dataset that is already closed. */
export class Conflict extends TarnError<ConflictClass> {
  readonly code = 'CONFLICT' as const;

  constructor(message: string, options: TarnErrorOptions<ConflictClass> = {}) {
    super(message, 'UnsupportedOperation', options);
  }
}

/** Too many failed attempts lately: refused without looking, until `retryAfterSeconds` have passed. */
export class Throttled extends TarnError<ForbiddenClass> {
  readonly code = 'THROTTLED' as const;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options: TarnErrorOptions<ForbiddenClass> = {},
  ) {
    super(message, 'CannotAuthenticate', options);
  }
}

export class Transient extends TarnError<TransientClass> {
  readonly code = 'TRANSIENT' as const;

  constructor(message: string, options: TarnErrorOptions<TransientClass> = {}) {
    super(message, 'ServiceUnavailable', options);
  }
}

export function isTarnError(error: unknown): error is TarnError {
  return error instanceof TarnError;
}
