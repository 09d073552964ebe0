import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { compileRseExpression, CompiledRseExpression, RseDescriptor } from '@tarn/domain';
import { pgClientConfig } from '@tarn/catalogue';
import { loadRseCatalogue, RseCatalogueRow } from '@tarn/catalogue/repositories/rse.repository.js';
import { onRsesChangedInProcess } from './rse-change.signal.js';
import { RseChangeListener } from './rse-change.listener.js';

export interface ResolvedRse extends RseDescriptor {
  /** rse_limits by name (MinFreeSpace, MaxBytes, ...), in bytes. */
  limits: Record<string, number>;
  /** What the catalogue counts on the RSE (rse_usage source 'rucio'); 0 when never counted. */
  usedBytes: number;
  /**
   * Storage-reported free bytes (rse_usage source 'storage') when known, else MaxBytes - usedBytes when
   * MaxBytes is set, else null (unknown). MinFreeSpace is not subtracted: placement callers do that.
   */
  freeBytes: number | null;
}

export interface ResolveOptions {
  /** Return [] instead of raising InvalidRSEExpression when nothing is selected. */
  allowEmpty?: boolean;
}

export const RSE_EXPRESSION_CACHE_TTL_MS = 5_000;
const MAX_COMPILED = 1_000;

interface Snapshot {
  rses: ResolvedRse[];
  byId: Map<string, ResolvedRse>;
  expiresAt: number;
  /** Selected ids per expression, valid as long as the snapshot is. */
  selections: Map<string, string[]>;
}

function resolvedRse(row: RseCatalogueRow): ResolvedRse {
  const usedBytes = row.catalogueUsed ?? 0;
  const maxBytes = row.limits.MaxBytes;
  const freeBytes = row.storageFree ?? (maxBytes === undefined ? null : Math.max(0, maxBytes - usedBytes));
  return {
    id: row.id,
    name: row.name,
    rseType: row.rseType,
    deterministic: row.deterministic,
    volatile: row.volatile,
    qosClass: row.qosClass,
    availabilityRead: row.availabilityRead,
    availabilityWrite: row.availabilityWrite,
    availabilityDelete: row.availabilityDelete,
    attributes: row.attributes,
    qosPolicies: row.qosPolicies,
    limits: row.limits,
    usedBytes,
    freeBytes,
  };
}

/**
 * Resolves RSE expressions against the live RSEs of the catalogue. The RSEs (with attributes, limits and
 * usage) are read in one statement and kept for a few seconds; each expression's selection is kept with
 * them. Both are dropped at once when this process changes RSEs, and when another process announces a
 * change with NOTIFY tarn_rse_changed.
 */
@Injectable()
export class RseExpressionService implements OnModuleDestroy {
  /** How long an evaluation may be served from the cache; tests may shorten it. */
  ttlMs = RSE_EXPRESSION_CACHE_TTL_MS;

  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  /** Bumped by every invalidation, so that a load that started before it is not cached. */
  private generation = 0;
  private readonly compiled = new Map<string, CompiledRseExpression>();
  private readonly listener: RseChangeListener;
  private readonly unsubscribe: () => void;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.listener = new RseChangeListener(() => pgClientConfig(dataSource, 'tarn-rse-listener'), () => this.invalidate());
    this.unsubscribe = onRsesChangedInProcess(() => this.invalidate());
  }

  /**
   * The live RSEs the expression selects, ordered by name. Throws InvalidRSEExpression naming the
   * offending token, or the expression when it selects nothing (unless allowEmpty).
   */
  async resolve(manager: EntityManager, expression: string, options: ResolveOptions = {}): Promise<ResolvedRse[]> {
    const compiled = this.compile(expression);
    this.listener.start();
    const snapshot = await this.currentSnapshot(manager);
    let ids = snapshot.selections.get(expression);
    if (!ids) {
      ids = [...compiled.evaluate(snapshot.rses, { allowEmpty: true })];
      snapshot.selections.set(expression, ids);
    }
    if (ids.length === 0 && !options.allowEmpty) compiled.evaluate(snapshot.rses); // throws the domain's error
    return ids.map((id) => ({ ...snapshot.byId.get(id)! }));
  }

  /** Every live RSE (what `*` selects, but without raising when there is none). */
  async all(manager: EntityManager): Promise<ResolvedRse[]> {
    this.listener.start();
    const snapshot = await this.currentSnapshot(manager);
    return snapshot.rses.map((rse) => ({ ...rse }));
  }

  invalidate(): void {
    this.generation++;
    this.snapshot = null;
    this.loading = null;
  }

  /** Resolves once the NOTIFY listener is connected (true) or failed to connect (false). */
  listening(): Promise<boolean> {
    return this.listener.ready();
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe();
    await this.listener.close();
  }

  private compile(expression: string): CompiledRseExpression {
    let compiled = this.compiled.get(expression);
    if (!compiled) {
      compiled = compileRseExpression(expression);
      if (this.compiled.size >= MAX_COMPILED) this.compiled.clear();
      this.compiled.set(expression, compiled);
    }
    return compiled;
  }

  private async currentSnapshot(manager: EntityManager): Promise<Snapshot> {
    if (this.snapshot && this.snapshot.expiresAt > Date.now()) return this.snapshot;
    const shared = this.loading;
    if (shared) {
      try {
        return await shared;
      } catch {
        // Another caller's load failed (e.g. its transaction was aborted): load with our own manager.
      }
    }
    const generation = this.generation;
    const loading = this.load(manager);
    this.loading = loading;
    try {
      const snapshot = await loading;
      if (this.generation === generation) this.snapshot = snapshot;
      return snapshot;
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  private async load(manager: EntityManager): Promise<Snapshot> {
    const rses = (await loadRseCatalogue(manager)).map(resolvedRse);
    return {
      rses,
      byId: new Map(rses.map((rse) => [rse.id, rse])),
      expiresAt: Date.now() + this.ttlMs,
      selections: new Map(),
    };
  }
}
