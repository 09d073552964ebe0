import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { deterministicPath, InvalidInput, NotFound } from '@tarn/domain';
import { translateDatabaseError } from '@tarn/catalogue';
import { type AuditableRse, consistencyRepository, type ListedFile, type MissingReplica } from '@tarn/catalogue/repositories/consistency.repository.js';
import { createStorage, type StorageProtocol } from '@tarn/storage';
import { ROOT_ISSUER, type Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { settleBounded } from '../bounded.js';
import { ReplicaService } from '../replicas/replica.service.js';
import type { ConsistencyMetrics } from './consistency.metrics.js';
import { didsAtPath, reversibleAlgorithm } from './path-dids.js';

export interface AuditSettings {
  /** Files modified and replicas created within this many seconds before the listing are left alone (writes in flight). */
  graceSeconds: number;
  /** Dark files are deleted once quarantined (seen dark) for this long. */
  quarantineSeconds: number;
  /** Each RSE is audited at most once per this many hours (unless asked for). */
  rseIntervalHours: number;
  /** Listing entries loaded per statement. */
  listBatch: number;
  /** Storage operations (existence checks, deletions) in flight per RSE. */
  concurrency: number;
  /**
   * An audit that finds more than this fraction of the RSE's eligible replicas missing (or an empty listing with
   * replicas expected) acts on nothing: a storage unmounted or misconfigured must not turn into mass bad declarations.
   */
  maxMissingFraction: number;
  /** Delete dark files after the quarantine period (false: only quarantine them); never on an RSE unavailable for deletion. */
  deleteDark: boolean;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = {
  graceSeconds: 24 * 3600,
  quarantineSeconds: 7 * 24 * 3600,
  rseIntervalHours: 24,
  listBatch: 5000,
  concurrency: 16,
  maxMissingFraction: 0.5,
  deleteDark: true,
};

/** configs section `auditor`: runtime overrides of the settings (operators tune them without a restart). */
const CONFIG_KEYS: Partial<Record<keyof AuditSettings, string>> = {
  graceSeconds: 'grace_seconds',
  quarantineSeconds: 'quarantine_seconds',
  rseIntervalHours: 'rse_interval_hours',
  maxMissingFraction: 'max_missing_fraction',
  deleteDark: 'delete_dark',
};

export interface AuditResult {
  rse: string;
  runId: string;
  /** Files in the storage listing. */
  listed: number;
  /** Dark files (older than the grace period, unknown to the catalogue). */
  dark: number;
  /** Dark files quarantined for the first time. */
  quarantined: number;
  /** Quarantined files that are not dark any more (gone, or registered since). */
  released: number;
  /** Quarantined dark files deleted from storage, and deletions that failed (retried next run). */
  deleted: number;
  deleteFailures: number;
  /** Temporary files of writes killed part-way (untouched for the grace period) deleted from storage. */
  temporariesDeleted: number;
  /** AVAILABLE replicas old enough to be checked. */
  eligible: number;
  /** Replicas whose file is missing on storage (confirmed file by file), and those declared bad. */
  missing: number;
  declaredBad: number;
  /** Why the run failed or refused to act; null when it completed. */
  error: string | null;
}

export interface AuditOptions {
  signal?: AbortSignal;
  metrics?: ConsistencyMetrics | null;
  /** Opens the storage of an RSE (default: createStorage of its protocol). */
  openStorage?: (rse: AuditableRse) => StorageProtocol;
}

/** Declarations of bad replicas per call of ReplicaService.declareBadReplicas; also the page size of the work lists. */
const PAGE = 500;
/** Leftover temporary files deleted per run at most (the rest at the next). */
const MAX_STALE_TEMPORARIES = 10_000;

/**
 * The consistency checker (Rucio's auditor): one RSE's storage listing, streamed into temporary tables of the
 * audit's own connection, compared with the catalogue in one statement each way.
 * - Dark data (files the catalogue does not know) is quarantined (quarantined_replicas) and deleted from storage
 *   once it has stayed dark for `quarantineSeconds`.
 * - Missing replicas (AVAILABLE, file not on storage, confirmed by a check of each file) are declared bad through
 *   ReplicaService.declareBadReplicas; the replica-registrar's recovery re-copies them from another replica.
 * - Temporary files of writes whose writer was killed (a transfer worker, an upload), untouched for `graceSeconds`,
 *   are deleted along with the dark data (same switch and RSE deletability); they never become dark data.
 * Writes in flight are neither: files modified and replicas created within `graceSeconds` before the listing,
 * replicas in any state but AVAILABLE (COPYING, BEING_DELETED...) or changed since the listing began, files a
 * live transfer to the RSE is writing, files under an enabled ingestion hook's prefix on the RSE.
 */
@Injectable()
export class ConsistencyService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** `base` with the overrides of the configs table (section `auditor`). */
  async settings(base: AuditSettings = DEFAULT_AUDIT_SETTINGS): Promise<AuditSettings> {
    const settings = { ...base };
    for (const [key, opt] of Object.entries(CONFIG_KEYS) as Array<[keyof AuditSettings, string]>) {
      const raw = await consistencyRepository.config(this.dataSource.manager, opt);
      if (raw === null) continue;
      if (key === 'deleteDark') settings.deleteDark = /^(true|1|yes|on)$/i.test(raw.trim());
      else {
        const value = Number(raw);
        if (Number.isFinite(value) && value >= 0) settings[key] = value;
      }
    }
    return settings;
  }

  /** RSEs due for an audit (optionally only `rses`; `force`: whatever their last run). */
  async dueRses(settings: Pick<AuditSettings, 'rseIntervalHours'>, rses: readonly string[] | null = null, force = false): Promise<AuditableRse[]> {
    return consistencyRepository.auditableRses(this.dataSource.manager, settings.rseIntervalHours, rses, force);
  }

  /** An audit of one RSE now, whatever its schedule (administrators). Null when another auditor is auditing it. */
  async auditNow(issuer: Issuer, rse: string, settings: AuditSettings, options: AuditOptions = {}): Promise<AuditResult | null> {
    this.permissions.assertAdmin(issuer, `audit RSE '${rse}'`);
    const [found] = await this.dueRses(settings, [rse], true);
    if (!found) {
      throw new NotFound(`RSE '${rse}' was not found, is deleted or has no protocol to list its storage with; add a protocol first.`, {
        rucioClass: 'RSENotFound',
        details: { rse },
      });
    }
    return this.auditRse(found, settings, options);
  }

  /**
   * Audits one RSE. Null when another auditor holds it. A run that fails (storage unreachable, refused by the
   * missing-fraction guard) is recorded with its error and returned with it, after releasing what it held.
   */
  async auditRse(rse: AuditableRse, settings: AuditSettings, options: AuditOptions = {}): Promise<AuditResult | null> {
    const connection = this.dataSource.createQueryRunner();
    await connection.connect();
    const manager = connection.manager;
    try {
      if (!(await consistencyRepository.tryLockRse(manager, rse.id))) return null;
      try {
        return await this.runAudit(manager, rse, settings, options);
      } finally {
        await consistencyRepository.unlockRse(manager, rse.id).catch(() => undefined);
      }
    } catch (error) {
      throw translateDatabaseError(error, `audit of RSE '${rse.rse}'`);
    } finally {
      await connection.release();
    }
  }

  private async runAudit(manager: EntityManager, rse: AuditableRse, settings: AuditSettings, options: AuditOptions): Promise<AuditResult> {
    const run = await consistencyRepository.startRun(manager, rse.id);
    const result: AuditResult = {
      rse: rse.rse, runId: run.id, listed: 0, dark: 0, quarantined: 0, released: 0, deleted: 0, deleteFailures: 0, temporariesDeleted: 0,
      eligible: 0, missing: 0, declaredBad: 0, error: null,
    };
    const algorithm = rse.lfn2pfnAlgorithm ?? 'hash';
    let storage: StorageProtocol | null = null;
    try {
      // Recorded as a failed run (not thrown), so that the RSE waits for its next turn like any other.
      if (rse.deterministic && !reversibleAlgorithm(algorithm)) {
        throw new InvalidInput(`RSE '${rse.rse}' uses the lfn2pfn algorithm '${algorithm}', whose paths the auditor cannot map back to DIDs; only hash and identity RSEs are audited.`);
      }
      if (!rse.protocol) throw new InvalidInput(`RSE '${rse.rse}' has no protocol to list its storage with; add one.`);
      storage = options.openStorage ? options.openStorage(rse) : createStorage(rse.protocol, { rse: rse.rse });
      await consistencyRepository.createListing(manager);
      const cutoff = new Date(run.startedAt.getTime() - settings.graceSeconds * 1000);
      const listing = await this.loadListing(manager, storage, rse, algorithm, cutoff, settings, options.signal);
      result.listed = listing.listed;
      result.dark = await consistencyRepository.findDark(manager, rse, cutoff);
      const found = await consistencyRepository.findMissing(manager, rse, cutoff, run.startedAt);
      result.eligible = found.eligible;
      if (found.eligible > 0 && (result.listed === 0 || found.missing / found.eligible > settings.maxMissingFraction)) {
        throw new Error(
          `${found.missing} of ${found.eligible} replicas appear missing on ${storage.endpoint} (${result.listed} files listed), more than the ` +
            `max_missing_fraction ${settings.maxMissingFraction}: nothing was quarantined, deleted or declared bad. Check that the storage is ` +
            'mounted and the protocol right; if the loss is real, raise configs auditor/max_missing_fraction for one run.',
        );
      }
      const quarantine = await consistencyRepository.quarantine(manager, rse.id);
      result.quarantined = quarantine.quarantined;
      result.released = quarantine.released;
      if (settings.deleteDark && rse.deletable) {
        const expiredBefore = new Date(run.startedAt.getTime() - settings.quarantineSeconds * 1000);
        Object.assign(result, await this.deleteExpired(manager, storage, rse, expiredBefore, settings, options.signal));
        const outcomes = await settleBounded(listing.staleTemporaries, settings.concurrency, (path) => storage!.delete(path));
        result.temporariesDeleted = outcomes.filter((o) => o.status === 'fulfilled').length;
        result.deleteFailures += outcomes.length - result.temporariesDeleted;
      }
      Object.assign(result, await this.declareMissing(manager, storage, rse, algorithm, run.startedAt, settings, options.signal));
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    } finally {
      await storage?.close().catch(() => undefined);
      await consistencyRepository.dropListing(manager).catch(() => undefined);
    }
    await consistencyRepository.finishRun(manager, run.id, result, result.error);
    this.record(options.metrics ?? null, result);
    return result;
  }

  /**
   * Streams the storage listing into the run's tables, `listBatch` entries per statement. Temporary files of writes
   * are no dark data: those untouched since `cutoff` (their writer was killed) are returned for deletion, up to
   * MAX_STALE_TEMPORARIES a run.
   */
  private async loadListing(
    manager: EntityManager,
    storage: StorageProtocol,
    rse: AuditableRse,
    algorithm: string,
    cutoff: Date,
    settings: AuditSettings,
    signal?: AbortSignal,
  ): Promise<{ listed: number; staleTemporaries: string[] }> {
    let listed = 0;
    let batch: ListedFile[] = [];
    const staleTemporaries: string[] = [];
    for await (const entry of storage.list('', { temporary: true })) {
      if (signal?.aborted) throw new Error(`the audit of RSE '${rse.rse}' stopped during its listing (the daemon is stopping); it runs again later`);
      if (entry.temporary) {
        if (entry.mtime < cutoff && staleTemporaries.length < MAX_STALE_TEMPORARIES) staleTemporaries.push(entry.path);
        continue;
      }
      batch.push({ path: entry.path, bytes: entry.bytes, mtime: entry.mtime, dids: rse.deterministic ? didsAtPath(entry.path, algorithm) : [] });
      if (batch.length >= settings.listBatch) {
        await consistencyRepository.addListing(manager, batch);
        listed += batch.length;
        batch = [];
      }
    }
    await consistencyRepository.addListing(manager, batch);
    listed += batch.length;
    await consistencyRepository.indexListing(manager);
    return { listed, staleTemporaries };
  }

  /** Deletes dark files quarantined before `expiredBefore`, each checked again against the catalogue first. */
  private async deleteExpired(
    manager: EntityManager,
    storage: StorageProtocol,
    rse: AuditableRse,
    expiredBefore: Date,
    settings: AuditSettings,
    signal?: AbortSignal,
  ): Promise<{ deleted: number; deleteFailures: number }> {
    let deleted = 0;
    let deleteFailures = 0;
    let after = '';
    for (;;) {
      if (signal?.aborted) break;
      const page = await consistencyRepository.expiredQuarantine(manager, rse.id, expiredBefore, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1].path;
      const dark = await consistencyRepository.stillDark(manager, rse.id, page.map((p) => p.path));
      const outcomes = await settleBounded(dark, settings.concurrency, (path) => storage.delete(path));
      const gone = dark.filter((_, i) => outcomes[i].status === 'fulfilled');
      deleteFailures += dark.length - gone.length;
      await consistencyRepository.forgetQuarantined(manager, rse.id, gone);
      deleted += gone.length;
    }
    return { deleted, deleteFailures };
  }

  /**
   * Declares the missing replicas bad, a page at a time: each file checked on storage once more (a listing can
   * miss a file), each replica checked in the catalogue once more (still AVAILABLE, unchanged since the listing).
   */
  private async declareMissing(
    manager: EntityManager,
    storage: StorageProtocol,
    rse: AuditableRse,
    algorithm: string,
    listingStart: Date,
    settings: AuditSettings,
    signal?: AbortSignal,
  ): Promise<{ missing: number; declaredBad: number }> {
    let missing = 0;
    let declaredBad = 0;
    let after: MissingReplica | null = null;
    for (;;) {
      if (signal?.aborted) break;
      const page = await consistencyRepository.missingPage(manager, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1];
      const checks = await settleBounded(page, settings.concurrency, async (r) => !(await storage.exists(r.path ?? deterministicPath(r.scope, r.name, algorithm))));
      const confirmed = page.filter((_, i) => {
        const check = checks[i];
        return check.status === 'fulfilled' && check.value;
      });
      missing += confirmed.length;
      declaredBad += await this.declareBad(rse, confirmed, listingStart);
    }
    return { missing, declaredBad };
  }

  private async declareBad(rse: AuditableRse, replicas: readonly MissingReplica[], listingStart: Date): Promise<number> {
    const reason = `consistency check: the file is missing on the storage of RSE '${rse.rse}'`;
    for (let attempt = 0; ; attempt++) {
      const still = await consistencyRepository.stillMissing(this.dataSource.manager, rse.id, replicas, listingStart);
      if (still.length === 0) return 0;
      try {
        return await this.replicas.declareBadReplicas(ROOT_ISSUER, still.map((r) => ({ ...r, rse: rse.rse })), reason);
      } catch (error) {
        // A replica deleted between the check and the declaration: check again, once.
        if (!(error instanceof NotFound) || attempt > 0) throw error;
      }
    }
  }

  private record(metrics: ConsistencyMetrics | null, result: AuditResult): void {
    if (!metrics) return;
    const rse = { rse: result.rse };
    metrics.runs.inc({ rse: result.rse, outcome: result.error ? 'failed' : 'done' });
    metrics.dark.inc(rse, result.dark);
    metrics.quarantined.inc(rse, result.quarantined);
    metrics.darkDeleted.inc(rse, result.deleted);
    metrics.temporariesDeleted.inc(rse, result.temporariesDeleted);
    metrics.missing.inc(rse, result.declaredBad);
    metrics.lastRun.set(rse, Date.now() / 1000);
    metrics.lastDark.set(rse, result.dark);
    metrics.lastMissing.set(rse, result.declaredBad);
  }
}
