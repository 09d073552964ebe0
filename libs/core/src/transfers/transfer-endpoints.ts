import { deterministicPath, normalizePrefix } from '@tarn/domain';
import type { TransferRse } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { createStorage, SUPPORTED_SCHEMES, type StorageProtocol, type StorageProtocolConfig } from '@tarn/storage';

/** The schemes the built-in transfer tool copies from and to (those libs/storage implements). */
export const TRANSFER_SCHEMES: readonly string[] = SUPPORTED_SCHEMES;

type Protocol = TransferRse['protocols'][number];

/** Where a file of a transfer lives: the RSE, its storage (through one protocol) and the path under its prefix. */
export interface TransferEndpoint {
  rse: string;
  storage: StorageProtocol;
  path: string;
  /** For local posix protocols (file, posix): the prefix directory, so that copies between two may skip streams. */
  localRoot?: string;
}

/** The replica's path under the protocol prefix: stored (non-deterministic RSEs), else lfn2pfn's. */
export function transferPath(rse: TransferRse, scope: string, name: string, storedPath: string | null): string {
  if (storedPath) return storedPath.replace(/^\/+/, '');
  return deterministicPath(scope, name, rse.deterministic ? (rse.lfn2pfnAlgorithm ?? 'hash') : 'hash');
}

function best(protocols: Protocol[], priority: (p: Protocol) => number): Protocol | undefined {
  return protocols
    .filter((p) => priority(p) > 0 && TRANSFER_SCHEMES.includes(p.scheme.toLowerCase()))
    .sort((a, b) => priority(a) - priority(b))[0];
}

/**
 * StorageProtocol instances of RSE protocols, made once per protocol configuration (a changed protocol, e.g. a
 * new port, gets a new instance) and closed together.
 */
export class TransferStorages {
  private readonly storages = new Map<string, StorageProtocol>();
  private readonly roots = new WeakMap<StorageProtocol, string>();

  /** The prefix directory of a storage made for a local posix protocol. */
  localRoot(storage: StorageProtocol): string | undefined {
    return this.roots.get(storage);
  }

  /** The storage to read `rse` through (best WAN read priority), or an Error saying why there is none. */
  reader(rse: TransferRse): StorageProtocol | Error {
    const protocol = best(rse.protocols, (p) => p.readWan);
    if (!protocol) return new Error(`RSE '${rse.rse}' has no protocol Tarn can read from (read priority > 0, scheme one of ${TRANSFER_SCHEMES.join(', ')})`);
    return this.get(rse, protocol);
  }

  /** The storage to write `rse` through (best WAN write priority), or an Error saying why there is none. */
  writer(rse: TransferRse): StorageProtocol | Error {
    const protocol = best(rse.protocols, (p) => p.writeWan);
    if (!protocol) return new Error(`RSE '${rse.rse}' has no protocol Tarn can write to (write priority > 0, scheme one of ${TRANSFER_SCHEMES.join(', ')})`);
    return this.get(rse, protocol);
  }

  private get(rse: TransferRse, protocol: Protocol): StorageProtocol {
    const config: StorageProtocolConfig = {
      scheme: protocol.scheme,
      hostname: protocol.hostname,
      port: protocol.port,
      prefix: protocol.prefix,
      extendedAttributes: protocol.extendedAttributes,
    };
    const key = `${rse.rse}\u0000${JSON.stringify(config)}`;
    let storage = this.storages.get(key);
    if (!storage) {
      storage = createStorage(config, { rse: rse.rse });
      this.storages.set(key, storage);
      if (['file', 'posix'].includes(protocol.scheme.toLowerCase())) this.roots.set(storage, normalizePrefix(protocol.prefix));
    }
    return storage;
  }

  async close(): Promise<void> {
    const all = [...this.storages.values()];
    this.storages.clear();
    await Promise.all(all.map((s) => s.close().catch(() => undefined)));
  }
}
