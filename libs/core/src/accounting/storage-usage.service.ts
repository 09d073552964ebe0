import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { type MeasurableRse, type MeasuredUsage, storageUsageRepository } from '@tarn/catalogue/repositories/storage-usage.repository.js';
import { createStorage, type SpaceUsage, type StorageProtocol } from '@tarn/storage';
import { settleBounded } from '../bounded.js';
import type { StorageUsageMetrics } from './storage-usage.metrics.js';

export interface StorageUsageSettings {
  /** An RSE's storage usage is measured again once its 'storage' figure is this old. */
  maxAgeSeconds: number;
  /** RSEs measured at once. */
  concurrency: number;
}

export const DEFAULT_STORAGE_USAGE_SETTINGS: StorageUsageSettings = { maxAgeSeconds: 600, concurrency: 4 };

/** What one RSE's storage said: used and free bytes, or why it could not tell. */
export type StorageUsageOutcome =
  | { rse: string; rseId: string; known: true; used: number; free: number; total: number }
  | { rse: string; rseId: string; known: false; reason: string };

export interface RefreshOptions {
  /** Only these RSEs (by name). */
  rses?: readonly string[] | null;
  metrics?: StorageUsageMetrics | null;
  openStorage?: (rse: MeasurableRse, protocol: MeasurableRse['protocols'][number]) => StorageProtocol;
}

/**
 * RSE usage as the storage reports it (rse_usage source 'storage'), from StorageProtocol.space() where the protocol
 * can tell (posix statfs; WebDAV quota properties when served; S3 cannot): the figure the reaper's MinFreeSpace
 * decisions and rule placement read. An RSE whose storage cannot tell keeps no 'storage' row (or its last one).
 */
@Injectable()
export class StorageUsageService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Measures the RSEs whose storage figure is older than `maxAgeSeconds` (0: every RSE) and records them in one statement. */
  async refresh(settings: StorageUsageSettings = DEFAULT_STORAGE_USAGE_SETTINGS, options: RefreshOptions = {}): Promise<StorageUsageOutcome[]> {
    const rses = await storageUsageRepository.dueRses(this.dataSource.manager, settings.maxAgeSeconds, options.rses ?? null);
    const settled = await settleBounded(rses, settings.concurrency, (rse) => this.measure(rse, options));
    const outcomes = settled.map((s, i): StorageUsageOutcome =>
      s.status === 'fulfilled' ? s.value : { rse: rses[i].rse, rseId: rses[i].id, known: false, reason: message(s.reason) },
    );
    const known = outcomes.filter((o): o is Extract<StorageUsageOutcome, { known: true }> => o.known);
    const rows: MeasuredUsage[] = known.map((o) => ({ rseId: o.rseId, used: o.used, free: o.free }));
    if (rows.length > 0) await unitOfWork(this.dataSource, { what: `storage usage of ${rows.length} RSE(s)` }, (manager) => storageUsageRepository.record(manager, rows));
    for (const o of known) {
      options.metrics?.free.set({ rse: o.rse }, o.free);
      options.metrics?.used.set({ rse: o.rse }, o.used);
    }
    return outcomes;
  }

  /** The first protocol of the RSE whose storage tells its space. */
  private async measure(rse: MeasurableRse, options: RefreshOptions): Promise<StorageUsageOutcome> {
    const reasons: string[] = [];
    for (const protocol of rse.protocols) {
      const storage = options.openStorage ? options.openStorage(rse, protocol) : createStorage(protocol, { rse: rse.rse });
      try {
        if (!storage.space) {
          reasons.push(`${protocol.scheme}: the protocol cannot tell`);
          continue;
        }
        const usage = figures(await storage.space());
        if (usage) return { rse: rse.rse, rseId: rse.id, known: true, ...usage };
        reasons.push(`${storage.endpoint} reported no free space`);
      } catch (error) {
        reasons.push(message(error));
      } finally {
        await storage.close().catch(() => undefined);
      }
    }
    return { rse: rse.rse, rseId: rse.id, known: false, reason: reasons.join('; ') || 'no protocol' };
  }
}

/** Used and free bytes from what a storage reported (any two of total, used, free); null without a free figure. */
export function figures(space: SpaceUsage): { used: number; free: number; total: number } | null {
  const { total, used } = space;
  const free = space.free ?? (total !== undefined && used !== undefined ? total - used : undefined);
  if (free === undefined || !Number.isFinite(free) || free < 0) return null;
  const usedBytes = used ?? (total !== undefined ? Math.max(0, total - free) : 0);
  return { used: Math.round(usedBytes), free: Math.round(free), total: Math.round(total ?? usedBytes + free) };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
