/** Node's codes for a peer that cannot be reached or went away: the storage is unavailable, not wrong. */
export const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'ECONNABORTED', 'EHOSTDOWN', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** The error itself and its causes, outermost first (a few levels: libraries wrap errors in errors). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * The network error code in an error or its causes. Libraries sometimes turn an error into text (the AWS
 * SDK does for errors from another JavaScript realm, as under jest), so the message is read as a last resort.
 */
export function networkErrorCode(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
  }
  for (const e of errorChain(error)) {
    const message = (e as { message?: unknown }).message;
    if (typeof message !== 'string') continue;
    const found = message.match(/\b(E[A-Z_]+|ERR_[A-Z_]+)\b/g)?.find((c) => NETWORK_ERROR_CODES.has(c));
    if (found) return found;
  }
  return undefined;
}
