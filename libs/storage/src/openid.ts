import * as openid from 'openid-client';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The configuration of an OpenID provider for a client, found by discovery (openid-client). Plain http is allowed
 * only for a provider on this machine (development and tests); anywhere else the provider must speak https.
 */
export async function discoverOpenIdProvider(issuer: string, clientId: string, clientSecret?: string): Promise<openid.Configuration> {
  const url = new URL(issuer);
  const insecure = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  const auth = clientSecret ? openid.ClientSecretBasic(clientSecret) : openid.None();
  return openid.discovery(url, clientId, undefined, auth, { timeout: 10, ...(insecure ? { execute: [openid.allowInsecureRequests] } : {}) });
}

/** One line from an error of openid-client (an OAuth error answer, or a network failure). */
export function openIdErrorText(error: unknown): string {
  const e = error as { error?: string; error_description?: string; message?: string; cause?: { message?: string } };
  if (e?.error) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
  return [e?.message, e?.cause?.message].filter(Boolean).join(': ') || String(error);
}
