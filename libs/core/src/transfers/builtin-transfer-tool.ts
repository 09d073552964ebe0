import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { transferRequestRepository } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { transferFinisherRepository } from '@tarn/catalogue/repositories/transfer-finisher.repository.js';
import { transferPath, TransferStorages } from './transfer-endpoints.js';
import { BUILTIN_TRANSFER_TOOL, type TransferTool, type TransferToCancel, type TransferToolStatus, type TransferToSubmit } from './transfer-tool.js';

const POLLED: Record<string, TransferToolStatus['state']> = { S: 'SUBMITTED', D: 'DONE', F: 'FAILED' };

/**
 * The built-in transfer tool: SUBMITTED requests of transfertool 'tarn' are its queue, which transfer-worker
 * processes copy (TransferWorkerService) and report on in the requests table themselves.
 */
@Injectable()
export class BuiltinTransferTool implements TransferTool, OnModuleDestroy {
  readonly name = BUILTIN_TRANSFER_TOOL;
  private readonly storages = new TransferStorages();

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Nothing to do: the requests, now SUBMITTED to 'tarn', are what the workers lease. */
  async submit(_manager: EntityManager, _transfers: readonly TransferToSubmit[]): Promise<void> {}

  async poll(manager: EntityManager, ids: readonly string[]): Promise<TransferToolStatus[]> {
    if (ids.length === 0) return [];
    const rows = await manager.query(`SELECT id, state, err_msg FROM requests WHERE id = ANY($1::uuid[])`, [ids]);
    const found = new Map(rows.map((r: { id: string; state: string; err_msg: string | null }) => [r.id, r]));
    return ids.map((id) => {
      const row = found.get(id) as { state: string; err_msg: string | null } | undefined;
      return { id, state: row ? (POLLED[row.state] ?? 'UNKNOWN') : 'UNKNOWN', error: row?.err_msg ?? null };
    });
  }

  /**
   * Removes what cancelled transfers wrote at their destinations, unless another request or an AVAILABLE
   * replica claims that file again. A worker still copying one stops when its lease renewal finds it gone, and
   * removes its file itself. Best effort: a failed removal is left to the consistency checker.
   */
  async cancel(transfers: readonly TransferToCancel[]): Promise<void> {
    if (transfers.length === 0) return;
    const manager = this.dataSource.manager;
    const keys = transfers.map((t) => ({ scope: t.scope, name: t.name, rseId: t.destRseId }));
    const unclaimed = await transferRequestRepository.unclaimedDestinations(manager, keys);
    if (unclaimed.length === 0) return;
    const rses = await transferRequestRepository.rses(manager, unclaimed.map((k) => k.rseId));
    const replicas = await transferFinisherRepository.replicaPaths(manager, unclaimed);
    await Promise.all(
      unclaimed.map(async (k) => {
        const rse = rses.get(k.rseId);
        if (!rse) return;
        const writers = this.storages.writers(rse);
        if (writers instanceof Error) return;
        const path = transferPath(rse, k.scope, k.name, replicas.get(`${k.scope}:${k.name}@${k.rseId}`)?.path ?? null);
        for (const { storage } of writers) {
          if (await storage.delete(path).then(() => true, () => false)) return; // else the next protocol
        }
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.storages.close();
  }
}
