/**
 * Catalogue states. Values are the one-letter codes Rucio uses on the wire and in its database,
 * so rows and REST answers stay compatible with the stock Rucio client.
 */
export enum AccountType { USER = 'USER', GROUP = 'GROUP', SERVICE = 'SERVICE' }
export enum AccountStatus { ACTIVE = 'ACTIVE', SUSPENDED = 'SUSPENDED', DELETED = 'DELETED' }
export enum IdentityType { USERPASS = 'USERPASS', X509 = 'X509', GSS = 'GSS', SSH = 'SSH', OIDC = 'OIDC' }

export enum DidType { FILE = 'F', DATASET = 'D', CONTAINER = 'C' }
export enum DidAvailability { AVAILABLE = 'A', DELETED = 'D', LOST = 'L' }

export enum RseType { DISK = 'DISK', TAPE = 'TAPE' }

export enum ReplicaState {
  AVAILABLE = 'A',
  UNAVAILABLE = 'U',
  COPYING = 'C',
  BEING_DELETED = 'B',
  BAD = 'D',
  TEMPORARY_UNAVAILABLE = 'T',
}

export enum RuleState {
  OK = 'O',
  REPLICATING = 'R',
  STUCK = 'S',
  SUSPENDED = 'U',
  WAITING_APPROVAL = 'W',
  INJECT = 'I',
}

export enum RuleGrouping { ALL = 'A', DATASET = 'D', NONE = 'N' }
export enum RuleNotification { YES = 'Y', NO = 'N', CLOSE = 'C', PROGRESS = 'P' }

export enum LockState { OK = 'O', REPLICATING = 'R', STUCK = 'S' }

export enum RequestType { TRANSFER = 'T', DELETION = 'D', STAGEIN = 'I', STAGEOUT = 'O' }
export enum RequestState {
  QUEUED = 'Q',
  SUBMITTED = 'S',
  DONE = 'D',
  FAILED = 'F',
  LOST = 'L',
  NO_SOURCES = '0',
  WAITING = 'W',
  SUBMISSION_FAILED = 'G',
}

export enum BadReplicaState {
  BAD = 'B',
  SUSPICIOUS = 'S',
  LOST = 'L',
  RECOVERED = 'R',
  DELETED = 'D',
  TEMPORARY_UNAVAILABLE = 'T',
}

export enum SubscriptionState { ACTIVE = 'A', INACTIVE = 'I', NEW = 'N', UPDATED = 'U', BROKEN = 'B' }
export enum OutboxState { PENDING = 'P', SENT = 'S' }
/** A request to keep DIDs past their lifetime: Waiting for an administrator, Approved, Rejected. */
export enum LifetimeExceptionState { WAITING = 'W', APPROVED = 'A', REJECTED = 'R' }
