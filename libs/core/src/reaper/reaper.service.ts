import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deterministicOwners, deterministicPath } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { reaperRepository, type ReapableRse, type ReapedReplica } from '@tarn/catalogue/repositories/reaper.repository.js';
import { appendEvents, type Logger, tarnEvent } from '@tarn/events';
import { DeleteProtocols, type OpenDeleteStorage } from './delete-protocols.js';
import { settleBounded } from '../bounded.js';
import type { ReaperMetrics } from './reaper.metrics.js';

export interface ReaperSettings {
  /** Replicas claimed (marked BEING_DELETED) per batch, one statement each. */
  batchSize: number;
  /** Storage deletions in flight per RSE. */
  concurrency: number;
  /** A replica BEING_DELETED for longer than this is taken over (its reaper died, or its deletion failed). */
  graceSeconds: number;
  /** Batches per RSE and pass, so that one large RSE does not hold a pass. */
  maxBatchesPerRse: number;
}

export const DEFAULT_REAPER_SETTINGS: ReaperSettings = { batchSize: 1000, concurrency: 64, graceSeconds: 600, maxBatchesPerRse: 10 };

export interface RseReapResult {
  rse: string;
  deleted: number;
  bytes: number;
  failed: number;
  /** Replicas removed from the catalogue whose file stayed: another replica references it. */
  kept: number;
  /** True when the RSE may have more to reap (the pass stopped at maxBatchesPerRse). */
  more: boolean;
}

export interface ReapOptions {
  signal?: AbortSignal;
  metrics?: ReaperMetrics | null;
  /** Opens the storage of one of an RSE's delete protocols (default: createStorage). */
  openStorage?: OpenDeleteStorage;
  /** Where a protocol that failed while another worked is said. */
  logger?: Logger;
}

/**
 * Deletes tombstoned replicas (REFERENCE "Transfers and deletion"): epoch tombstones always, others oldest
 * tombstone first while the RSE is below its MinFreeSpace, all on greedy RSEs (attribute greedyDeletion);
 * never a locked replica nor the source a live transfer needs. Each batch is claimed (BEING_DELETED) and
 * committed before anything is deleted from storage; its rows go, with deletion.done events, after. A replica
 * left BEING_DELETED by a dead reaper is taken over after `graceSeconds`; a live reaper keeps its batch's rows
 * locked while it deletes, so other instances (SKIP LOCKED) never work on them.
 */
@Injectable()
export class ReaperService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** RSEs with something to reap now (optionally among `rseIds`). */
  async reapableRses(settings: Pick<ReaperSettings, 'graceSeconds'>, rseIds: readonly string[] | null = null): Promise<ReapableRse[]> {
    return reaperRepository.reapableRses(this.dataSource.manager, settings.graceSeconds, rseIds);
  }

  /** Reaps one RSE: up to maxBatchesPerRse batches, each claimed, deleted on storage, then removed from the catalogue. */
  async reapRse(rse: ReapableRse, settings: ReaperSettings, options: ReapOptions = {}): Promise<RseReapResult> {
    const result: RseReapResult = { rse: rse.rse, deleted: 0, bytes: 0, failed: 0, kept: 0, more: false };
    const storage = new DeleteProtocols(rse, options.openStorage, options.logger);
    try {
      for (let batch = 0; ; batch++) {
        if (options.signal?.aborted) return { ...result, more: true };
        if (batch >= settings.maxBatchesPerRse) return { ...result, more: true };
        const claimed = await this.claim(rse, settings);
        if (claimed.length === 0) return result;
        const done = await this.deleteBatch(rse, claimed, storage, settings);
        result.deleted += done.deleted;
        result.bytes += done.bytes;
        result.failed += done.failed;
        result.kept += done.kept;
        if (done.kept > 0) options.metrics?.kept.inc({ rse: rse.rse }, done.kept);
        options.metrics?.deletions.inc({ rse: rse.rse }, done.deleted);
        options.metrics?.deletedBytes.inc({ rse: rse.rse }, done.bytes);
        if (done.failed > 0) options.metrics?.failures.inc({ rse: rse.rse }, done.failed);
        // Failed deletions stay BEING_DELETED until the grace period: stop rather than spin on them.
        if (done.deleted + done.kept === 0) return result;
      }
    } finally {
      await storage.close();
    }
  }

  /** One short transaction: abandoned deletions first, else a new batch sized by the RSE's space need. */
  private async claim(rse: ReapableRse, settings: ReaperSettings): Promise<ReapedReplica[]> {
    return unitOfWork(this.dataSource, { what: `reaping on RSE '${rse.rse}'` }, async (manager) => {
      await reaperRepository.lockRseForClaims(manager, rse.id);
      const abandoned = await reaperRepository.claimAbandoned(manager, rse.id, settings.batchSize, settings.graceSeconds);
      if (abandoned.length > 0) return abandoned;
      let need: number | null = null;
      if (!rse.greedy) {
        const space = await reaperRepository.space(manager, rse.id);
        need = space.free === null ? 0 : Math.max(0, space.minFreeSpace - space.free - (await reaperRepository.bytesBeingDeleted(manager, rse.id)));
      }
      return reaperRepository.claim(manager, rse.id, settings.batchSize, need);
    });
  }

  private async deleteBatch(
    rse: ReapableRse,
    claimed: readonly ReapedReplica[],
    storage: DeleteProtocols,
    settings: ReaperSettings,
  ): Promise<{ deleted: number; bytes: number; failed: number; kept: number }> {
    // The rows stay locked while their files are deleted: no other reaper takes them over meanwhile.
    return this.dataSource.transaction(async (manager) => {
      const held = await reaperRepository.holdClaimed(manager, rse.id, claimed);
      const algorithm = rse.lfn2pfnAlgorithm ?? 'hash';
      const pathOf = (replica: ReapedReplica) => replica.path ?? (rse.deterministic ? deterministicPath(replica.scope, replica.name, algorithm) : null);
      const candidates = claimed.filter((r) => held.has(`${r.scope}:${r.name}`));
      // A file another replica row references stays: its row goes, and deletion.kept says why.
      const shared = await reaperRepository.sharedFiles(
        manager,
        rse.id,
        candidates.flatMap((r) => {
          const path = pathOf(r);
          return path === null ? [] : [{ scope: r.scope, name: r.name, path, owners: rse.deterministic ? deterministicOwners(path, algorithm) : [] }];
        }),
      );
      const kept = candidates.filter((r) => shared.has(`${r.scope}:${r.name}`));
      const mine = candidates.filter((r) => !shared.has(`${r.scope}:${r.name}`));
      const outcomes = await settleBounded(mine, settings.concurrency, async (replica) => {
        const path = pathOf(replica);
        if (!path) throw new Error(`the replica has no path on the non-deterministic RSE '${rse.rse}'`);
        await storage.delete(path);
      });
      const deleted: ReapedReplica[] = [];
      const failures: Array<{ scope: string; name: string; error: string }> = [];
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') deleted.push(mine[i]);
        else failures.push({ scope: mine[i].scope, name: mine[i].name, error: errorText(outcome.reason) });
      });
      const gone = await reaperRepository.removeDeleted(manager, rse.id, [...deleted, ...kept]);
      const keptKeys = new Set(kept.map((r) => `${r.scope}:${r.name}`));
      const removed = gone.filter((r) => !keptKeys.has(`${r.scope}:${r.name}`));
      const left = gone.filter((r) => keptKeys.has(`${r.scope}:${r.name}`));
      await reaperRepository.recordFailures(manager, rse.id, failures);
      await appendEvents(manager, [
        ...removed.map((r) => tarnEvent('deletion.done', { scope: r.scope, name: r.name, rse: rse.rse, rseId: rse.id, bytes: r.bytes })),
        ...left.map((r) =>
          tarnEvent('deletion.kept', {
            scope: r.scope,
            name: r.name,
            rse: rse.rse,
            rseId: rse.id,
            reason: 'its file on storage is referenced by another replica of this RSE: the replica is removed, the file stays',
          }),
        ),
        ...failures.map((f) => tarnEvent('deletion.failed', { scope: f.scope, name: f.name, rse: rse.rse, rseId: rse.id, error: f.error })),
      ]);
      return { deleted: removed.length, bytes: removed.reduce((sum, r) => sum + r.bytes, 0), failed: failures.length, kept: left.length };
    });
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 4000);
}
