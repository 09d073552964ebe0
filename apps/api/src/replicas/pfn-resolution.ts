import { hashPath, isValidDidName, isValidScope, protocolBase } from '@tarn/domain';
import type { RseDetails } from '@tarn/core';

export interface ResolvedPfn {
  pfn: string;
  rse: string;
  scope: string;
  name: string;
}

/** The scope and name whose "hash" path is `path` (`<scope path>/<md5[0:2]>/<md5[2:4]>/<name>`), checked against md5. */
export function didOfHashPath(path: string): { scope: string; name: string } | null {
  const segments = path.replace(/^\/+/, '').split('/');
  for (let i = 1; i + 2 < segments.length; i++) {
    const scope = segments.slice(0, i).join('.');
    const name = segments.slice(i + 2).join('/');
    if (!isValidScope(scope) || !isValidDidName(name)) continue;
    if (hashPath(scope, name) === segments.join('/')) return { scope, name };
  }
  return null;
}

/**
 * Which replica a PFN names: the RSE whose protocol base URL starts it, and on a deterministic RSE with the
 * "hash" algorithm, the DID whose path it is. Null when the PFN cannot be resolved that way.
 */
export function resolvePfn(pfn: string, rses: readonly RseDetails[]): ResolvedPfn | null {
  for (const rse of rses) {
    const algorithm = String(rse.attributes.lfn2pfn_algorithm ?? 'hash');
    if (!rse.deterministic || (algorithm !== 'hash' && algorithm !== 'default')) continue;
    for (const protocol of rse.protocols) {
      for (const base of [protocolBase(protocol), protocolBase({ ...protocol, port: null })]) {
        if (!pfn.startsWith(base)) continue;
        const did = didOfHashPath(pfn.slice(base.length));
        if (did) return { pfn, rse: rse.rse, ...did };
      }
    }
  }
  return null;
}
