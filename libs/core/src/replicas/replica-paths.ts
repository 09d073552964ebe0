import { deterministicPath, InvalidInput, pathToPfn, protocolBase } from '@tarn/domain';
import type { ReplicaRseInfo } from '@tarn/catalogue/repositories/replica.repository.js';
import type { ReplicaPfn } from './replica.types.js';

/** The replica's path relative to the protocol prefix: stored on non-deterministic RSEs, computed on deterministic ones. */
export function replicaPath(rse: ReplicaRseInfo, scope: string, name: string, storedPath: string | null): string | null {
  if (storedPath) return storedPath;
  return rse.deterministic ? deterministicPath(scope, name, rse.lfn2pfnAlgorithm ?? 'hash') : null;
}

/** PFNs of a replica through each read protocol of its RSE (best first), optionally only some schemes. */
export function replicaPfns(rse: ReplicaRseInfo, path: string | null, options: { schemes?: string[]; domain?: 'wan' | 'lan' }): ReplicaPfn[] {
  if (path === null) return [];
  const domain = options.domain ?? 'wan';
  const schemes = options.schemes && options.schemes.length > 0 ? new Set(options.schemes) : null;
  return rse.protocols
    .map((p) => ({ protocol: p, priority: domain === 'wan' ? p.readWan : p.readLan }))
    .filter(({ protocol, priority }) => priority > 0 && (!schemes || schemes.has(protocol.scheme)))
    .sort((a, b) => a.priority - b.priority)
    .map(({ protocol, priority }) => ({ pfn: pathToPfn(protocol, path), scheme: protocol.scheme, priority, domain }));
}

/**
 * The path of a PFN on a non-deterministic RSE: what follows the base URL of one of its protocols.
 * Throws naming the file and the RSE's protocol bases when none matches.
 */
export function pathFromPfn(rse: ReplicaRseInfo, pfn: string, file: string): string {
  for (const protocol of rse.protocols) {
    const bases = [protocolBase(protocol), protocolBase({ ...protocol, port: null })];
    const base = bases.find((b) => pfn.startsWith(b));
    if (base && pfn.length > base.length) return pfn.slice(base.length);
  }
  const known = rse.protocols.map((p) => protocolBase(p));
  throw new InvalidInput(
    `The PFN ${pfn} of ${file} does not start with the base URL of any protocol of RSE '${rse.rse}'` +
      `${known.length ? ` (${known.join(', ')})` : ' (it has no protocols)'}. Give a PFN under one of them, or the path instead.`,
    { rucioClass: 'InvalidPath', details: { pfn, file, rse: rse.rse } },
  );
}
