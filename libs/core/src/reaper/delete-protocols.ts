import type { DeleteProtocol, ReapableRse } from '@tarn/catalogue/repositories/reaper.repository.js';
import { type Logger, silentLogger } from '@tarn/events';
import { createStorage, ProtocolFallback, type StorageProtocol } from '@tarn/storage';

/** Opens the storage of one delete protocol of an RSE. */
export type OpenDeleteStorage = (rse: ReapableRse, protocol: DeleteProtocol) => StorageProtocol;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The delete protocols of an RSE, best first, opened when first needed: a deletion that fails through one goes on
 * through the next (a root:// door down, the davs:// door up). A door that did not answer (a transient error) is
 * tried last for the rest of the pass, so that a batch does not wait on it file after file. Each door that failed
 * while another worked is logged once.
 */
export class DeleteProtocols {
  private readonly storages = new Map<number, StorageProtocol>();
  private readonly doors = new ProtocolFallback<number>();

  constructor(
    private readonly rse: ReapableRse,
    private readonly open: OpenDeleteStorage = (rse, protocol) => createStorage(protocol, { rse: rse.rse }),
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Deletes `path` (idempotent); throws naming every protocol that failed, or the only one's error. */
  async delete(path: string): Promise<void> {
    const { protocols } = this.rse;
    if (protocols.length === 0) throw new Error(`RSE '${this.rse.rse}' has no protocol for deletion: add one with a delete priority`);
    const order = this.doors.order(protocols.map((_, i) => i), (i) => i);
    const failures: Array<{ i: number; storage: StorageProtocol; error: unknown }> = [];
    for (const i of order) {
      const storage = this.storage(i);
      try {
        await storage.delete(path);
        for (const f of failures.filter((f) => this.doors.sayOnce(f.i))) {
          this.logger.warn(`RSE '${this.rse.rse}': deleting through ${f.storage.endpoint} failed (${messageOf(f.error)}); deleted through ${storage.endpoint}`);
        }
        return;
      } catch (error) {
        if (!ProtocolFallback.worthTrying(error)) throw error;
        this.doors.failed(i, error);
        failures.push({ i, storage, error });
      }
    }
    if (failures.length === 1) throw failures[0].error;
    throw new Error(`deletion through every protocol of RSE '${this.rse.rse}' failed: ${failures.map((f) => `${f.storage.endpoint}: ${messageOf(f.error)}`).join('; ')}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.storages.values()].map((s) => s.close().catch(() => undefined)));
    this.storages.clear();
  }

  private storage(i: number): StorageProtocol {
    let storage = this.storages.get(i);
    if (!storage) {
      storage = this.open(this.rse, this.rse.protocols[i]);
      this.storages.set(i, storage);
    }
    return storage;
  }
}
