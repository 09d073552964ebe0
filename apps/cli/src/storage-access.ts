import { createStorage, ProtocolFallback, SUPPORTED_SCHEMES, type StorageProtocol } from '@tarn/storage';
import { deterministicPath, protocolBase } from '@tarn/domain';
import type { ApiClient } from './api-client.js';
import { CliError, ExitCode } from './errors.js';

export interface WireProtocol {
  scheme: string;
  hostname: string;
  port: number | null;
  prefix: string;
  impl?: string;
  domains: Record<string, Record<string, number | null>>;
  extended_attributes: Record<string, unknown> | null;
}

export interface RseInfo {
  rse: string;
  deterministic: boolean;
  lfn2pfn_algorithm: string;
  availability_write: boolean;
  availability_read: boolean;
  protocols: WireProtocol[];
}

/** The RSEs' settings and protocols (GET /rses/<rse>, as Rucio's client reads them), once per run. */
export class RseDirectory {
  private readonly infos = new Map<string, Promise<RseInfo>>();
  private readonly storages = new Map<string, StorageProtocol>();

  constructor(
    private readonly client: ApiClient,
    private readonly env: Record<string, string | undefined>,
  ) {}

  info(rse: string): Promise<RseInfo> {
    let info = this.infos.get(rse);
    if (!info) {
      info = this.client.json<RseInfo>('GET', `/rses/${encodeURIComponent(rse)}`, { what: `Reading the protocols of RSE '${rse}'` });
      this.infos.set(rse, info);
    }
    return info;
  }

  /** The preferred protocol of an operation (lowest positive priority, wan then lan) among those Tarn's storage speaks. */
  async protocol(rse: string, operation: 'read' | 'write' | 'delete'): Promise<WireProtocol> {
    return (await this.protocols(rse, operation))[0];
  }

  /** Every protocol of an operation that Tarn's storage speaks, best first (the next one when one fails). */
  async protocols(rse: string, operation: 'read' | 'write' | 'delete'): Promise<WireProtocol[]> {
    const info = await this.info(rse);
    const supported = (p: WireProtocol) => (SUPPORTED_SCHEMES as readonly string[]).includes(p.scheme.toLowerCase());
    const priority = (p: WireProtocol) => {
      const values = ['wan', 'lan'].map((d) => Number(p.domains?.[d]?.[operation] ?? 0)).filter((v) => v > 0);
      return values.length > 0 ? Math.min(...values) : 0;
    };
    const candidates = info.protocols.filter((p) => supported(p) && priority(p) > 0).sort((a, b) => priority(a) - priority(b));
    if (candidates.length === 0) {
      throw new CliError(
        `RSE '${rse}' has no protocol for ${operation} that tarn speaks (${SUPPORTED_SCHEMES.join(', ')}): ask an administrator to add one (tarn rse add-protocol).`,
        ExitCode.NOT_FOUND,
      );
    }
    return candidates;
  }

  storage(rse: string, protocol: WireProtocol): StorageProtocol {
    const key = `${rse}\n${protocolBase(protocol)}`;
    let storage = this.storages.get(key);
    if (!storage) {
      storage = createStorage(
        { scheme: protocol.scheme, hostname: protocol.hostname, port: protocol.port, prefix: protocol.prefix, extendedAttributes: protocol.extended_attributes },
        { rse, env: this.env },
      );
      this.storages.set(key, storage);
    }
    return storage;
  }

  /** Where scope:name lives on the RSE, relative to the protocol prefix (deterministic RSEs: lfn2pfn). */
  async path(rse: string, scope: string, name: string): Promise<string> {
    const info = await this.info(rse);
    return deterministicPath(scope, name, info.deterministic ? info.lfn2pfn_algorithm : 'identity');
  }

  /** The protocol of an RSE whose base is the start of the PFN, and the path after it. */
  async resolvePfn(rse: string, pfn: string): Promise<{ protocol: WireProtocol; path: string } | null> {
    const info = await this.info(rse);
    for (const protocol of info.protocols) {
      const base = protocolBase(protocol);
      if (pfn.startsWith(base)) return { protocol, path: pfn.slice(base.length) };
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.storages.values()].map((s) => s.close().catch(() => undefined)));
  }
}

/**
 * Falling back from one protocol (door) of an RSE to the next when it fails, as the transfer worker does; each
 * door that failed is said once on stderr, naming the door tried next.
 */
export class CliProtocolFallback {
  private readonly doors = new ProtocolFallback<string>();

  constructor(private readonly note: (text: string) => void) {}

  /** The candidates in their order, those whose door did not answer in this run last. */
  order<T>(candidates: readonly T[], storageOf: (candidate: T) => StorageProtocol): T[] {
    return this.doors.order(candidates, (c) => storageOf(c).endpoint);
  }

  /** Records that `storage` of `rse` failed (said when `next`, the door tried next, is left); returns what failed. */
  failed(rse: string, storage: StorageProtocol, error: unknown, next: StorageProtocol | undefined): string {
    const why = `${storage.endpoint} failed: ${(error as Error).message.replace(/\.$/, '')}`;
    this.doors.failed(storage.endpoint, error);
    if (next && this.doors.sayOnce(storage.endpoint)) this.note(`RSE '${rse}': ${why}; going on through ${next.endpoint}.`);
    return why;
  }
}
