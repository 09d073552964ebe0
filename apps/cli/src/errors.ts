/**
 * Exit codes of `tarn` (docs/cli.md lists them): scripts and cron jobs branch on them.
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  EXISTS: 5,
  QUOTA: 6,
  UNREACHABLE: 7,
  VERIFICATION: 8,
  TIMEOUT: 9,
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.FAILURE,
    readonly exceptionClass?: string,
  ) {
    super(message);
  }
}

const INVALID = new Set([
  'InvalidRSEExpression',
  'InvalidObject',
  'InputValidationError',
  'InvalidValueForKey',
  'InvalidType',
  'InvalidPath',
  'InvalidMetadata',
  'InvalidReplicationRule',
  'InvalidRuleWeight',
  'UnsupportedOperation',
  'UnsupportedStatus',
  'UnsupportedDIDType',
  'RSEOperationNotSupported',
  'RSEProtocolDomainNotSupported',
  'StagingAreaRuleRequiresLifetime',
  'KeyNotFound',
]);

/** The exit code of an API error, from its Rucio exception class. */
export function exitCodeOfClass(exceptionClass: string | undefined, status: number): ExitCodeValue {
  const c = exceptionClass ?? '';
  if (c === 'CannotAuthenticate' || c === 'AccessDenied' || c === 'CannotAuthorize' || c === 'ScopeAccessDenied') return ExitCode.AUTH;
  if (/NotFound$/.test(c) || c === 'RSEProtocolNotSupported') return ExitCode.NOT_FOUND;
  if (/AlreadyExists$|^Duplicate/.test(c) || c === 'SubscriptionDuplicate') return ExitCode.EXISTS;
  if (c === 'InsufficientAccountLimit' || c === 'RSEOverQuota' || c === 'InsufficientTargetRSEs') return ExitCode.QUOTA;
  if (INVALID.has(c)) return ExitCode.USAGE;
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 409) return ExitCode.EXISTS;
  if (status === 400) return ExitCode.USAGE;
  return ExitCode.FAILURE;
}

/** One line: the message without line breaks. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
