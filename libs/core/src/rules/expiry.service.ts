import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DidType, EPOCH_TOMBSTONE, formatDid } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import type { DidKey } from '@tarn/catalogue/repositories/did.repository.js';
import { ruleRepository } from '@tarn/catalogue/repositories/rule.repository.js';
import { lifetimeExceptionRepository, type KeptByException } from '@tarn/catalogue/repositories/lifetime-exception.repository.js';
import { ruleRepairRepository } from '@tarn/catalogue/repositories/rule-repair.repository.js';
import { appendEvents, tarnEvent, type TarnEvent } from '@tarn/events';
import { DidLifecycleService } from '../dids/did-lifecycle.service.js';
import { removeRule } from './rule-release.js';

/** An expired rule or DID that stays because a locked rule holds it. */
export interface HeldByLock {
  ruleId: string;
  scope: string;
  name: string;
  expiredAt: Date;
}

export interface ExpiredDidRemoval {
  /** DIDs deleted (their names stay reserved). */
  deleted: DidKey[];
  rulesRemoved: string[];
  detachedFromParents: number;
  /** Unlocked replicas of deleted files given the epoch tombstone (purge_replicas). */
  replicasTombstoned: number;
}

/**
 * Expiry for the rule cleaner and the undertaker: what stays despite its expiry because it is locked or a lifetime
 * exception keeps it (so the daemons can say why), and the undertaker's unit of work removing expired DIDs with their rules.
 */
@Injectable()
export class ExpiryService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DidLifecycleService) private readonly lifecycle: DidLifecycleService,
  ) {}

  /** Expired rules kept because they are locked (the cleaner never deletes them). */
  async lockedExpiredRules(limit = 100, now = new Date()): Promise<HeldByLock[]> {
    const rows = await ruleRepairRepository.expiredLockedRules(this.dataSource.manager, now, limit);
    return rows.map((r) => ({ ruleId: r.id, scope: r.scope, name: r.name, expiredAt: r.expiresAt }));
  }

  /** Expired DIDs an approved lifetime exception keeps from the undertaker, with the exception. */
  async exceptedExpiredDids(limit = 100, now = new Date()): Promise<KeptByException[]> {
    return lifetimeExceptionRepository.keptDids(this.dataSource.manager, now, limit);
  }

  /** Expired rules on DIDs an approved lifetime exception keeps, with the exception. */
  async exceptedExpiredRules(limit = 100, now = new Date()): Promise<(KeptByException & { ruleId: string })[]> {
    return lifetimeExceptionRepository.keptRules(this.dataSource.manager, now, limit);
  }

  /** Expired DIDs kept because a locked rule is on them, with that rule. */
  async protectedExpiredDids(limit = 100, now = new Date()): Promise<HeldByLock[]> {
    const rows = await ruleRepairRepository.expiredDidsProtected(this.dataSource.manager, now, limit);
    return rows.map((r) => ({ ruleId: r.ruleId, scope: r.scope, name: r.name, expiredAt: r.expiredAt }));
  }

  /**
   * Removes up to `limit` expired DIDs no locked rule protects, in one transaction (several undertakers share the
   * work: the DIDs are claimed SKIP LOCKED): their rules first (like deletions: locks released, tombstones,
   * transfers cancelled, rule.deleted), then the DIDs themselves (detached from their parents, which the rule
   * evaluator re-evaluates; names reserved; did.expired). Unlocked replicas of deleted files whose DID says
   * purge_replicas get the epoch tombstone.
   */
  async removeExpiredDids(limit = 100, now = new Date()): Promise<ExpiredDidRemoval> {
    return unitOfWork(this.dataSource, { what: 'removal of expired DIDs' }, async (manager) => {
      const expired = await this.lifecycle.listExpired(manager, limit, now);
      const result: ExpiredDidRemoval = { deleted: [], rulesRemoved: [], detachedFromParents: 0, replicasTombstoned: 0 };
      if (expired.length === 0) return result;
      const rules = await ruleRepository.lockCounters(manager, await ruleRepairRepository.ruleIdsOnDids(manager, expired));
      // A rule locked since the DIDs were listed keeps its DID.
      const kept = new Set(rules.filter((r) => r.locked).map((r) => `${r.scope}:${r.name}`));
      const doomed = expired.filter((d) => !kept.has(`${d.scope}:${d.name}`));
      const events: TarnEvent[] = [];
      for (const rule of rules) {
        if (kept.has(`${rule.scope}:${rule.name}`)) continue;
        await removeRule(manager, rule, { purgeReplicas: rule.purgeReplicas, why: `was on ${formatDid(rule)}, which expired` });
        events.push(tarnEvent('rule.deleted', { ruleId: rule.id, scope: rule.scope, name: rule.name }));
        result.rulesRemoved.push(rule.id);
      }
      const keys = doomed.map((d) => ({ scope: d.scope, name: d.name }));
      const { detachedFromParents } = await this.lifecycle.deleteDids(manager, keys);
      result.detachedFromParents = detachedFromParents;
      result.deleted = keys;
      const purged = doomed.filter((d) => d.didType === DidType.FILE && d.purgeReplicas);
      result.replicasTombstoned = await ruleRepairRepository.tombstoneUnlockedReplicas(manager, purged, EPOCH_TOMBSTONE);
      events.push(...keys.map((d) => tarnEvent('did.expired', { scope: d.scope, name: d.name })));
      await appendEvents(manager, events);
      return result;
    });
  }
}
