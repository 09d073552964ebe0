import { hash } from 'node:crypto';
import { InvalidInput } from './errors.js';

/**
 * Deterministic LFN -> path translation, byte for byte as Rucio's RSEDeterministicTranslation
 * (lib/rucio/rse/translation.py), because the stock client computes the path itself on upload.
 */
export type Lfn2PfnAlgorithm = 'hash' | 'identity';

export const LFN2PFN_ALGORITHMS: readonly Lfn2PfnAlgorithm[] = ['hash', 'identity'];

/** Scope paths already computed: a listing asks for the same few scopes once per file. */
const scopePaths = new Map<string, string>();

/**
 * Rucio turns dots into directories only for scopes *starting with* "user" or "group" (no dot required:
 * "users.x" and "groupie" qualify too); every other scope stays one directory, dots included.
 */
export function scopePath(scope: string): string {
  let path = scopePaths.get(scope);
  if (path === undefined) {
    path = scope.startsWith('user') || scope.startsWith('group') ? scope.split('.').join('/') : scope;
    if (scopePaths.size >= 10_000) scopePaths.clear();
    scopePaths.set(scope, path);
  }
  return path;
}

/** "hash": `<scope path>/<md5[0:2]>/<md5[2:4]>/<name>`, md5 of "scope:name" in UTF-8 (one-shot: listings hash every file). */
export function hashPath(scope: string, name: string): string {
  const md5 = hash('md5', `${scope}:${name}`, 'hex');
  return `${scopePath(scope)}/${md5.slice(0, 2)}/${md5.slice(2, 4)}/${name}`;
}

/** "identity": `<scope path>/<name>`. */
export function identityPath(scope: string, name: string): string {
  return `${scopePath(scope)}/${name}`;
}

/** The path (relative to the protocol prefix, no leading '/') of a file on a deterministic RSE. */
export function deterministicPath(scope: string, name: string, algorithm: Lfn2PfnAlgorithm | string = 'hash'): string {
  switch (algorithm) {
    case 'hash':
    case 'default':
      return hashPath(scope, name);
    case 'identity':
      return identityPath(scope, name);
    default:
      throw new InvalidInput(
        `Unknown lfn2pfn algorithm '${algorithm}' for ${scope}:${name}. Set the RSE attribute lfn2pfn_algorithm to one of: ${LFN2PFN_ALGORITHMS.join(', ')}.`,
        { rucioClass: 'InvalidValueForKey', details: { algorithm, scope, name } },
      );
  }
}

export interface ProtocolEndpoint {
  scheme: string;
  hostname: string;
  /** null/undefined: no port in the URL. */
  port?: number | null;
  prefix: string;
}

/** The prefix with exactly one leading and one trailing '/', as Rucio's lfns2pfns normalises it. */
export function normalizePrefix(prefix: string): string {
  let result = prefix ?? '';
  if (!result.startsWith('/')) result = `/${result}`;
  if (!result.endsWith('/')) result = `${result}/`;
  return result;
}

/**
 * `scheme://hostname[:port]/prefix/`. Rucio's posix protocol (scheme "file") leaves the port out, every other
 * protocol writes it, even when it is the scheme's default.
 */
export function protocolBase(endpoint: ProtocolEndpoint): string {
  const withPort = endpoint.scheme !== 'file' && endpoint.port !== null && endpoint.port !== undefined;
  const authority = withPort ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname;
  return `${endpoint.scheme}://${authority}${normalizePrefix(endpoint.prefix)}`;
}

/** Joins a protocol and a path (deterministic or a non-deterministic replica's stored path) into a PFN. */
export function pathToPfn(endpoint: ProtocolEndpoint, path: string): string {
  return protocolBase(endpoint) + (path.startsWith('/') ? path.slice(1) : path);
}

/** PFN of scope:name on a deterministic RSE through the given protocol. */
export function lfn2pfn(
  endpoint: ProtocolEndpoint,
  scope: string,
  name: string,
  algorithm: Lfn2PfnAlgorithm | string = 'hash',
): string {
  return pathToPfn(endpoint, deterministicPath(scope, name, algorithm));
}
