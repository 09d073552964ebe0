import { deterministicPath, normalizePrefix } from '@tarn/domain';
import type { TransferRse } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { createStorage, ProtocolFallback, SUPPORTED_SCHEMES, type StorageProtocol, type StorageProtocolConfig } from '@tarn/storage';

/** The schemes the built-in transfer tool copies from and to (those libs/storage implements). */
export const TRANSFER_SCHEMES: readonly string[] = SUPPORTED_SCHEMES;

type Protocol = TransferRse['protocols'][number];

/** One protocol of an RSE opened for transfers: its storage and what choosing a way to copy needs to know. */
export interface OpenedProtocol {
  storage: StorageProtocol;
  scheme: string;
  /** Priority of the direction it was opened for (read or write; 1 is preferred). */
  priority: number;
  /** third_party_copy_read (of a source) or third_party_copy_write (of a destination) priority: 0, no third-party copy. */
  tpc: number;
  /** For local posix protocols (file, posix): the prefix directory, so that copies between two may skip streams. */
  localRoot?: string;
  /** Its door did not answer lately: tried after the others, whatever its priority. */
  lastResort?: boolean;
}

/** Where a file of a transfer lives: the RSE, its path under the protocols' prefix, and the protocols to reach it, best first. */
export interface TransferEndpoint {
  rse: string;
  path: string;
  protocols: OpenedProtocol[];
}

/** The replica's path under the protocol prefix: stored (non-deterministic RSEs), else lfn2pfn's. */
export function transferPath(rse: TransferRse, scope: string, name: string, storedPath: string | null): string {
  if (storedPath) return storedPath.replace(/^\/+/, '');
  return deterministicPath(scope, name, rse.deterministic ? (rse.lfn2pfnAlgorithm ?? 'hash') : 'hash');
}

/** The protocols Tarn can use in a direction (its priority > 0), best first. */
function usable(protocols: Protocol[], priority: (p: Protocol) => number): Protocol[] {
  return protocols
    .filter((p) => priority(p) > 0 && TRANSFER_SCHEMES.includes(p.scheme.toLowerCase()))
    .sort((a, b) => priority(a) - priority(b));
}

/** How long a door (endpoint) that did not answer is tried last by the copies that follow. */
const UNANSWERED_DOOR_MS = 60_000;

/**
 * StorageProtocol instances of RSE protocols, made once per protocol configuration (a changed protocol, e.g. a
 * new port, gets a new instance) and closed together. A door that did not answer a copy (its storage error was
 * transient) is offered last for a minute, so that the copies after it go straight through the RSE's next protocol
 * instead of each waiting for it to time out.
 */
export class TransferStorages {
  private readonly storages = new Map<string, StorageProtocol>();
  private readonly roots = new WeakMap<StorageProtocol, string>();
  private readonly doors = new ProtocolFallback<string>(UNANSWERED_DOOR_MS);

  /** Learns from a copy's storage error: the door it names is offered last for a while when it did not answer. */
  readonly storageFailed = (error: unknown): void => {
    const endpoint = (error as { storage?: { endpoint?: string } } | null)?.storage?.endpoint;
    if (endpoint) this.doors.failed(endpoint, error);
  };

  /** The protocols to read `rse` through, by WAN read priority (the next when one fails), or an Error saying why there is none. */
  readers(rse: TransferRse): OpenedProtocol[] | Error {
    const protocols = usable(rse.protocols, (p) => p.readWan);
    if (protocols.length === 0) return new Error(`RSE '${rse.rse}' has no protocol Tarn can read from (read priority > 0, scheme one of ${TRANSFER_SCHEMES.join(', ')})`);
    return this.byAnswer(protocols.map((p) => this.open(rse, p, p.readWan, p.thirdPartyCopyRead)));
  }

  /** The protocols to write `rse` through, by WAN write priority, or an Error saying why there is none. */
  writers(rse: TransferRse): OpenedProtocol[] | Error {
    const protocols = usable(rse.protocols, (p) => p.writeWan);
    if (protocols.length === 0) return new Error(`RSE '${rse.rse}' has no protocol Tarn can write to (write priority > 0, scheme one of ${TRANSFER_SCHEMES.join(', ')})`);
    return this.byAnswer(protocols.map((p) => this.open(rse, p, p.writeWan, p.thirdPartyCopyWrite)));
  }

  private byAnswer(opened: OpenedProtocol[]): OpenedProtocol[] {
    const marked = opened.map((p) => (this.doors.isUnanswered(p.storage.endpoint) ? { ...p, lastResort: true } : p));
    return this.doors.order(marked, (p) => p.storage.endpoint);
  }

  private open(rse: TransferRse, protocol: Protocol, priority: number, tpc: number): OpenedProtocol {
    const storage = this.get(rse, protocol);
    const localRoot = this.roots.get(storage);
    return { storage, scheme: protocol.scheme.toLowerCase(), priority, tpc: tpc ?? 0, ...(localRoot ? { localRoot } : {}) };
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
