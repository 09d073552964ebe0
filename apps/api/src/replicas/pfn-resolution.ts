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
 * Which replicas a PFN may name: each RSE one of whose protocol base URLs starts it (several RSEs may share a
 * storage URL), with, on a deterministic RSE with the "hash" algorithm, the DID whose path it is.
 */
export function pfnCandidates(pfn: string, rses: readonly RseDetails[]): ResolvedPfn[] {
  const found: ResolvedPfn[] = [];
  for (const rse of rses) {
    const algorithm = String(rse.attributes.lfn2pfn_algorithm ?? 'hash');
    if (!rse.deterministic || (algorithm !== 'hash' && algorithm !== 'default')) continue;
    const did = rse.protocols
      .flatMap((protocol) => [protocolBase(protocol), protocolBase({ ...protocol, port: null })])
      .filter((base) => pfn.startsWith(base))
      .map((base) => didOfHashPath(pfn.slice(base.length)))
      .find((d) => d !== null);
    if (did) found.push({ pfn, rse: rse.rse, ...did });
  }
  return found;
}
