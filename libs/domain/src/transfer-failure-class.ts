/**
 * The class of a failed transfer attempt, from its error text: a bounded label for metrics and alerts (the text itself
 * names files and hosts). The first matching class wins, most specific first.
 */
export const TRANSFER_FAILURE_CLASSES = [
  'no_source',
  'checksum',
  'timeout',
  'connection',
  'permission',
  'not_found',
  'no_space',
  'configuration',
  'other',
] as const;
export type TransferFailureClass = (typeof TRANSFER_FAILURE_CLASSES)[number];

const PATTERNS: [TransferFailureClass, RegExp][] = [
  ['no_source', /no (available |readable )?sources?\b|no replica to copy from/i],
  ['checksum', /checksum|adler32|\bmd5\b|corrupt|size mismatch/i],
  ['timeout', /time(d)? ?out|ETIMEDOUT|deadline/i],
  ['connection', /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|connection (refused|reset|closed)|socket hang up|network/i],
  ['permission', /permission|forbidden|unauthori[sz]ed|\b40[13]\b|EACCES|EPERM|denied|expired token|token expired|signature/i],
  ['not_found', /not found|no such file|\b404\b|ENOENT|does not exist/i],
  ['no_space', /no space|ENOSPC|quota|insufficient storage|\b507\b|is full/i],
  ['configuration', /was deleted|no protocol|no .*protocol|unsupported scheme|not writable|not readable/i],
];

/** `noSources`: the request ended as NO_SOURCES, whatever its text. */
export function transferFailureClass(error: string | null, noSources = false): TransferFailureClass {
  if (noSources) return 'no_source';
  if (!error) return 'other';
  for (const [cls, pattern] of PATTERNS) if (pattern.test(error)) return cls;
  return 'other';
}
