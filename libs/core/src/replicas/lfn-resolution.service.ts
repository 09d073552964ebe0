import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deterministicPath, formatDid, InvalidInput, NotFound, pathToPfn, validateDid } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { listRseAttributes } from '@tarn/catalogue/repositories/rse-attribute.repository.js';
import { listRseProtocols } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { replicaRepository } from '@tarn/catalogue/repositories/replica.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { protocolsFor, protocolView, type ProtocolDomain, type ProtocolOperation } from '../rses/rse-protocol.mapping.js';
import { requireRse } from '../rses/rse-unit-of-work.js';

/** At most this many LFNs per lookup. */
export const MAX_LFNS = 10_000;

export interface Lfn {
  scope: string;
  name: string;
  /** An explicit path on the RSE (relative to the protocol prefix). */
  path?: string | null;
}

/**
 * Rucio's lfns2pfns on the server: the PFN of each file on an RSE through its best protocol for an operation. On a
 * deterministic RSE the path is computed (lfn2pfn_algorithm, default hash); on a non-deterministic one it is the
 * replica's stored path, so that a client writing there (rucio upload --pfn) learns where the file goes.
 */
@Injectable()
export class LfnResolutionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /**
   * `scope:name` -> PFN, for the LFNs that have a path there (files of restricted scopes the issuer may not read and
   * replicas without a stored path on a non-deterministic RSE are left out, as Rucio leaves them out).
   */
  async lfns2pfns(
    issuer: Issuer,
    rse: string,
    lfns: Lfn[],
    options: { scheme?: string | null; domain?: ProtocolDomain; operation?: ProtocolOperation } = {},
  ): Promise<Record<string, string>> {
    if (lfns.length > MAX_LFNS) throw new InvalidInput(`At most ${MAX_LFNS} LFNs per lookup; ${lfns.length} were given.`, { rucioClass: 'InvalidObject' });
    for (const lfn of lfns) validateDid(lfn);
    const domain = options.domain ?? 'wan';
    const operation = options.operation ?? 'write';
    return unitOfWork(this.dataSource, { what: `PFNs on RSE '${rse}'` }, async (manager) => {
      const found = await requireRse(manager, rse);
      const protocols = protocolsFor((await listRseProtocols(manager, found.id)).map(protocolView), operation, domain).filter(
        (p) => !options.scheme || p.scheme === options.scheme,
      );
      if (protocols.length === 0) {
        throw new NotFound(
          `RSE '${rse}' has no ${options.scheme ? `${options.scheme} ` : ''}protocol for ${operation} in the ${domain} domain. ` +
            'List its protocols (rucio rse show) and ask for one of their schemes.',
          { rucioClass: 'RSEProtocolNotSupported', details: { rse, scheme: options.scheme ?? null, operation, domain } },
        );
      }
      const protocol = protocols[0];
      const hidden = new Set(await this.permissions.unreadableScopes(manager, issuer));
      const readable = lfns.filter((l) => !hidden.has(l.scope));
      const algorithm = String((await listRseAttributes(manager, found.id)).lfn2pfn_algorithm ?? 'hash');
      const stored = found.deterministic
        ? new Map<string, string>()
        : await replicaRepository.storedPaths(manager, readable.filter((l) => !l.path).map((l) => ({ scope: l.scope, name: l.name, rseId: found.id })));
      const pfns: Record<string, string> = {};
      for (const lfn of readable) {
        const did = formatDid(lfn);
        const path = lfn.path || (found.deterministic ? deterministicPath(lfn.scope, lfn.name, algorithm) : stored.get(did));
        if (path) pfns[did] = pathToPfn(protocol, path);
      }
      return pfns;
    });
  }
}
