import { NotFound } from '@tarn/domain';
import { createStorage, type StorageProtocol } from '@tarn/storage';
import type { RseInfo, RseInfoProtocol } from '../rses/rse-info.js';

/** The RSE's protocol preferred for an operation (lowest non-zero wan priority, then lan), as a StorageProtocol. */
export function rseStorage(info: RseInfo, operation: 'read' | 'write', hook: string): StorageProtocol {
  const priority = (p: RseInfoProtocol) => {
    const wan = p.domains?.wan?.[operation] ?? 0;
    const lan = p.domains?.lan?.[operation] ?? 0;
    return wan > 0 ? wan : lan > 0 ? 1000 + lan : 0;
  };
  const ranked = info.protocols.filter((p) => priority(p) > 0).sort((a, b) => priority(a) - priority(b));
  const protocol = ranked[0];
  if (!protocol) {
    throw new NotFound(
      `Hook '${hook}': RSE '${info.rse}' has no protocol to ${operation} with. Add one with a ${operation} priority (tarn rse add-protocol ${info.rse}, or rucio-admin rse add-protocol).`,
      { rucioClass: 'RSEProtocolNotSupported', details: { rse: info.rse, operation } },
    );
  }
  return createStorage(
    { scheme: protocol.scheme, hostname: protocol.hostname, port: protocol.port, prefix: protocol.prefix, extendedAttributes: protocol.extended_attributes },
    { rse: info.rse },
  );
}

/** A local directory (a drop-box) through the same interface. */
export function localStorage(directory: string): StorageProtocol {
  return createStorage({ scheme: 'file', hostname: '', prefix: directory });
}
