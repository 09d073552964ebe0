import { deterministicPath, LFN2PFN_ALGORITHMS } from '@tarn/domain';

export interface PathDid {
  scope: string;
  name: string;
}

const HASH_SEGMENT = /^[0-9a-f]{2}$/;

/** True when `algorithm` is an lfn2pfn algorithm whose paths didsAtPath can read back. */
export function reversibleAlgorithm(algorithm: string): boolean {
  return algorithm === 'default' || (LFN2PFN_ALGORITHMS as readonly string[]).includes(algorithm);
}

/**
 * The DIDs whose deterministic path (lfn2pfn `algorithm`) is `path`: the inverse of deterministicPath, checked
 * by computing it forward. Usually one (hash); "identity" paths of user/group scopes may read several ways
 * (`user/jdoe/f`: user:jdoe/f or user.jdoe:f), and a path no DID maps to gives none.
 */
export function didsAtPath(path: string, algorithm: string): PathDid[] {
  const segments = path.split('/');
  const found: PathDid[] = [];
  for (let i = 1; i < segments.length; i++) {
    const scope = segments.slice(0, i).join('.');
    // Only scopes starting with user/group are split into directories (scopePath).
    if (i > 1 && !(scope.startsWith('user') || scope.startsWith('group'))) break;
    const rest = segments.slice(i);
    let name: string | null = null;
    if (algorithm === 'identity') name = rest.join('/');
    else if (rest.length >= 3 && HASH_SEGMENT.test(rest[0]) && HASH_SEGMENT.test(rest[1])) name = rest.slice(2).join('/');
    if (name && deterministicPath(scope, name, algorithm) === path) found.push({ scope, name });
  }
  return found;
}
