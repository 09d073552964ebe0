import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  Did,
  DidType,
  formatDid,
  InvalidInput,
  LockCounts,
  LockState,
  PlacementCandidate,
  PlacementFile,
  PlacementGroup,
  placeRule,
  QuotaExceeded,
  ReplicaState,
  RuleGrouping,
  ruleLockPlan,
  TarnError,
} from '@tarn/domain';
import type { DidKey, RecursiveFileRow } from '@tarn/catalogue/repositories/did.repository.js';
import { lockRepository, type UsageDelta } from '@tarn/catalogue/repositories/lock.repository.js';
import { replicaRepository, type ReplicaKey, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import type { RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { type HeldLock, ruleReevaluationRepository } from '@tarn/catalogue/repositories/rule-reevaluation.repository.js';
import { type ResolvedRse, RseExpressionService } from '../rses/rse-expression.service.js';
import type { LockCounterDelta } from './rule-progress.js';
import { RuleEvaluator } from './rule-evaluator.js';

/** What adding or removing locks changed. */
export interface LockChange {
  /** Files newly covered (added) or locks removed. */
  files: number;
  /** Lock counter changes (negative for removals). */
  delta: LockCounterDelta;
  transfersQueued: number;
  transfersCancelled: number;
  /** Why some new locks are STUCK, when some are. */
  error: string | null;
}

/** A STUCK lock moved to another RSE of the rule's expression. */
export interface MovedLock extends ReplicaKey {
  /** Name of the RSE it left (rseId). */
  fromRse: string;
  toRseId: string;
  toRse: string;
}

const fileKey = (f: { scope: string; name: string }): string => `${f.scope}:${f.name}`;
const noChange = (ruleId: string): LockChange => ({
  files: 0,
  delta: { ruleId, ok: 0, replicating: 0, stuck: 0 },
  transfersQueued: 0,
  transfersCancelled: 0,
  error: null,
});

/** Placement failures that leave a rule STUCK with the reason rather than failing the whole unit of work. */
export function isPlacementFailure(error: unknown): error is TarnError {
  return (
    error instanceof QuotaExceeded ||
    (error instanceof InvalidInput && (error.rucioClass === 'InvalidRSEExpression' || error.rucioClass === 'InvalidRuleWeight'))
  );
}

function countsOf(states: Iterable<LockState>): LockCounts {
  const counts: LockCounts = { ok: 0, replicating: 0, stuck: 0 };
  for (const state of states) {
    if (state === LockState.OK) counts.ok++;
    else if (state === LockState.REPLICATING) counts.replicating++;
    else counts.stuck++;
  }
  return counts;
}

/** Lets several placements share one candidate list: what one takes (quota, space) the next cannot. */
function consume(candidates: PlacementCandidate[], groups: readonly PlacementGroup[]): void {
  for (const group of groups) {
    for (const rseId of group.rseIds) {
      const c = candidates.find((x) => x.id === rseId);
      if (!c) continue;
      c.quotaLeft -= group.bytes;
      if (c.freeBytes !== null) c.freeBytes -= group.bytes;
    }
  }
}

/**
 * Keeps a rule's locks in step with its DID's content, set-based, inside the caller's transaction (the rule row
 * is already locked): locks for files that gained the rule (attach, deferred injection), placed with the rule's
 * existing RSE choice (the dataset's RSEs for DATASET grouping, the rule's for ALL, per file for NONE); removal
 * of the locks of files that left it (detach); moves of failing locks to other RSEs (repair). Placement and lock
 * plans are the ones rule creation uses (placeRule, ruleLockPlan, RuleEvaluator.apply).
 */
@Injectable()
export class RuleReevaluator {
  constructor(
    @Inject(RuleEvaluator) private readonly evaluator: RuleEvaluator,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  /**
   * Locks, replicas and transfers for the files at or below `below` (default: the rule's DID) that have fewer
   * than `copies` locks of the rule, at most `limit` files. Throws the placement's error (quota, space, RSEs)
   * when they cannot be placed: the caller rolls back to a savepoint and marks the rule STUCK.
   */
  async addMissingLocks(
    manager: EntityManager,
    rule: RuleRecord,
    options: { skipQuota: boolean; below?: DidKey; limit?: number; random?: () => number },
  ): Promise<LockChange> {
    const below = options.below ?? rule;
    const rows = await ruleReevaluationRepository.filesMissingLocks(manager, rule.id, rule.copies, below, options.limit ?? 2_000_000_000);
    if (rows.length === 0) return noChange(rule.id);
    const info = new Map<string, RecursiveFileRow>();
    for (const row of rows) if (!info.has(fileKey(row))) info.set(fileKey(row), row);
    const distinctFiles = [...info.values()];

    const { rses, candidates } = await this.evaluator.candidates(manager, rule, options.skipQuota);
    const existingLocks = await ruleReevaluationRepository.locksOnFiles(manager, rule.id, distinctFiles);
    const existing = await replicaRepository.lockOnRses(manager, distinctFiles, rses.map((r) => r.id));
    const replicasOf = new Map<string, Array<{ rseId: string; state: ReplicaState }>>();
    for (const r of existing) {
      const list = replicasOf.get(fileKey(r)) ?? [];
      list.push({ rseId: r.rseId, state: r.state });
      replicasOf.set(fileKey(r), list);
    }
    const files: PlacementFile[] = rows.map((row) => ({
      scope: row.scope,
      name: row.name,
      bytes: row.bytes ?? 0,
      dataset: row.datasetScope !== null && row.datasetName !== null ? { scope: row.datasetScope, name: row.datasetName } : null,
      replicas: replicasOf.get(fileKey(row)) ?? [],
    }));

    const groups = await this.place(manager, rule, files, candidates, options);
    const hasSource = await this.sourceCheck(manager, rule, distinctFiles);
    const writable = new Set(rses.filter((r) => r.availabilityWrite).map((r) => r.id));
    const plan = ruleLockPlan(groups, {
      copies: rule.copies,
      isWritable: (rseId) => rule.ignoreAvailability || writable.has(rseId),
      hasSource,
      existingLocks,
    });
    if (plan.length === 0) return { ...noChange(rule.id), files: distinctFiles.length };
    const result = await this.evaluator.apply(manager, rule, plan, info, groups, hasSource, 'add');
    return {
      files: distinctFiles.length,
      delta: { ruleId: rule.id, ...result.counts },
      transfersQueued: result.transfersQueued,
      transfersCancelled: 0,
      error: result.error,
    };
  }

  /** Groups the files as the rule's grouping says and places each group, preferring the RSEs the group already uses. */
  private async place(
    manager: EntityManager,
    rule: RuleRecord,
    files: PlacementFile[],
    candidates: PlacementCandidate[],
    options: { skipQuota: boolean; random?: () => number },
  ): Promise<PlacementGroup[]> {
    const groups: PlacementGroup[] = [];
    const placeGroup = (groupFiles: PlacementFile[], grouping: RuleGrouping, preferredRseIds?: string[]) => {
      const placement = placeRule({
        candidates,
        copies: rule.copies,
        grouping,
        files: groupFiles,
        weight: rule.weight,
        isAdmin: options.skipQuota,
        ignoreAvailability: rule.ignoreAvailability,
        preferredRseIds,
        random: options.random,
        did: formatDid(rule),
        rseExpression: rule.rseExpression,
      });
      consume(candidates, placement.groups);
      groups.push(...placement.groups);
    };

    if (rule.grouping === RuleGrouping.NONE) {
      placeGroup(files, RuleGrouping.NONE);
    } else if (rule.grouping === RuleGrouping.ALL) {
      const fromDatasetLocks = (await ruleReevaluationRepository.datasetLockRses(manager, rule.id, null)).map((l) => l.rseId);
      const preferred = fromDatasetLocks.length > 0 ? [...new Set(fromDatasetLocks)] : await ruleReevaluationRepository.lockRses(manager, rule.id);
      placeGroup(files, RuleGrouping.ALL, preferred);
    } else {
      const byDataset = new Map<string, { dataset: Did | null; files: PlacementFile[] }>();
      for (const file of files) {
        const key = file.dataset ? fileKey(file.dataset) : '';
        let group = byDataset.get(key);
        if (!group) byDataset.set(key, (group = { dataset: file.dataset ?? null, files: [] }));
        group.files.push(file);
      }
      const datasets = [...byDataset.values()].flatMap((g) => (g.dataset ? [g.dataset] : []));
      const rsesOf = new Map<string, string[]>();
      for (const lock of await ruleReevaluationRepository.datasetLockRses(manager, rule.id, datasets)) {
        const list = rsesOf.get(fileKey(lock)) ?? [];
        list.push(lock.rseId);
        rsesOf.set(fileKey(lock), list);
      }
      for (const [key, group] of byDataset) placeGroup(group.files, RuleGrouping.DATASET, rsesOf.get(key));
    }
    return groups;
  }

  private async sourceCheck(manager: EntityManager, rule: RuleRecord, files: readonly DidKey[]): Promise<((file: PlacementFile) => boolean) | undefined> {
    if (!rule.sourceReplicaExpression) return undefined;
    const sources = await this.expressions.resolve(manager, rule.sourceReplicaExpression);
    const available = await replicaRepository.availableOn(manager, files, sources.map((r) => r.id));
    return (file) => available.has(fileKey(file));
  }

  /**
   * Removes the rule's locks on files no longer at or below its DID, and its dataset locks on datasets no longer
   * below it; the dataset locks of `changed` (the collection whose content changed) are recounted.
   */
  async removeDetachedLocks(manager: EntityManager, rule: RuleRecord, changed: DidKey): Promise<LockChange> {
    if (rule.didType === DidType.FILE) return noChange(rule.id);
    const locks = await ruleReevaluationRepository.locksOutside(manager, rule.id, rule);
    const change = await this.removeLocks(manager, rule, locks, `its file was detached from ${formatDid(rule)}`);
    if (rule.grouping !== RuleGrouping.NONE) {
      await ruleReevaluationRepository.pruneDatasetLocks(manager, rule.id, rule);
      await ruleReevaluationRepository.recountDatasetLocks(manager, rule.id, [changed]);
    }
    return change;
  }

  /**
   * Removes these locks of the rule (locked by the caller), set-based: their replicas are released (tombstones
   * for those left unlocked), transfers no lock needs any more are cancelled, the account's usage shrinks.
   */
  async removeLocks(manager: EntityManager, rule: RuleRecord, locks: readonly HeldLock[], why: string): Promise<LockChange> {
    if (locks.length === 0) return noChange(rule.id);
    const keys = sortReplicaKeys(locks.map((l) => ({ scope: l.scope, name: l.name, rseId: l.rseId })));
    await ruleReevaluationRepository.releaseReplicas(manager, keys, rule.purgeReplicas);
    // Only the released replicas are left without locks, so only their transfers are cancelled.
    const transfersCancelled = await requestRepository.cancelUnneededOfRule(manager, rule.id, `cancelled: a lock of rule ${rule.id} went (${why})`);
    await ruleReevaluationRepository.deleteLocks(manager, rule.id, keys);
    const usage = new Map<string, UsageDelta>();
    for (const lock of locks) {
      const delta = usage.get(lock.rseId) ?? { rseId: lock.rseId, files: 0, bytes: 0 };
      delta.files -= 1;
      delta.bytes -= lock.bytes;
      usage.set(lock.rseId, delta);
    }
    await lockRepository.addAccountUsage(manager, rule.account, [...usage.values()]);
    const counts = countsOf(locks.map((l) => l.state));
    return {
      files: locks.length,
      delta: { ruleId: rule.id, ok: -counts.ok, replicating: -counts.replicating, stuck: -counts.stuck },
      transfersQueued: 0,
      transfersCancelled,
      error: null,
    };
  }

  /**
   * Moves STUCK locks (locked by the caller) to other RSEs of the rule's expression: for each, an RSE that holds
   * none of the rule's locks for the file's group (the file for NONE, its dataset for DATASET, the rule for ALL)
   * and qualifies for placement; a new lock there (replica, transfer) replaces the old one, which is released.
   * Locks without such an RSE are returned in `stay`.
   */
  async moveLocks(
    manager: EntityManager,
    rule: RuleRecord,
    stuck: ReadonlyArray<HeldLock & { adler32: string | null; md5: string | null; error: string | null }>,
    options: { skipQuota: boolean; random?: () => number },
  ): Promise<{ moved: MovedLock[]; stay: ReplicaKey[]; change: LockChange }> {
    if (stuck.length === 0) return { moved: [], stay: [], change: noChange(rule.id) };
    let resolved: { rses: ResolvedRse[]; candidates: PlacementCandidate[] };
    try {
      resolved = await this.evaluator.candidates(manager, rule, options.skipQuota);
    } catch (error) {
      // The expression selects nothing any more: the locks stay where they are.
      if (isPlacementFailure(error)) return { moved: [], stay: [...stuck], change: noChange(rule.id) };
      throw error;
    }
    const { rses, candidates } = resolved;
    const files = [...new Map(stuck.map((l) => [fileKey(l), { scope: l.scope, name: l.name }])).values()];
    const fileLocks = await ruleReevaluationRepository.locksOnFiles(manager, rule.id, files);
    const datasetsOf = new Map<string, Did[]>();
    if (rule.didType !== DidType.FILE) {
      for (const row of await ruleReevaluationRepository.datasetsOfFiles(manager, rule, files)) {
        const key = `${row.fileScope}:${row.fileName}`;
        datasetsOf.set(key, [...(datasetsOf.get(key) ?? []), { scope: row.scope, name: row.name }]);
      }
    }
    const groupRses = new Map<string, Set<string>>();
    if (rule.grouping === RuleGrouping.ALL) {
      const all = new Set([
        ...(await ruleReevaluationRepository.datasetLockRses(manager, rule.id, null)).map((l) => l.rseId),
        ...(await ruleReevaluationRepository.lockRses(manager, rule.id)),
      ]);
      for (const file of files) groupRses.set(fileKey(file), all);
    } else if (rule.grouping === RuleGrouping.DATASET) {
      const datasets = [...new Map([...datasetsOf.values()].flat().map((d) => [fileKey(d), d])).values()];
      const byDataset = new Map<string, string[]>();
      for (const lock of await ruleReevaluationRepository.datasetLockRses(manager, rule.id, datasets)) {
        byDataset.set(fileKey(lock), [...(byDataset.get(fileKey(lock)) ?? []), lock.rseId]);
      }
      for (const file of files) {
        groupRses.set(fileKey(file), new Set((datasetsOf.get(fileKey(file)) ?? []).flatMap((d) => byDataset.get(fileKey(d)) ?? [])));
      }
    }
    const existing = await replicaRepository.lockOnRses(manager, files, rses.map((r) => r.id));
    const replicasOf = new Map<string, Array<{ rseId: string; state: ReplicaState }>>();
    for (const r of existing) replicasOf.set(fileKey(r), [...(replicasOf.get(fileKey(r)) ?? []), { rseId: r.rseId, state: r.state }]);

    const groups: PlacementGroup[] = [];
    const moving: typeof stuck[number][] = [];
    const stay: ReplicaKey[] = [];
    const taken = new Map<string, Set<string>>();
    for (const lock of stuck) {
      const key = fileKey(lock);
      const excluded = new Set([...fileLocks.filter((l) => fileKey(l) === key).map((l) => l.rseId), ...(groupRses.get(key) ?? []), ...(taken.get(key) ?? [])]);
      const eligible = candidates.filter((c) => !excluded.has(c.id));
      const dataset = datasetsOf.get(key)?.[0] ?? null;
      const file: PlacementFile = { scope: lock.scope, name: lock.name, bytes: lock.bytes, dataset, replicas: replicasOf.get(key) ?? [] };
      try {
        const placement = placeRule({
          candidates: eligible,
          copies: 1,
          grouping: RuleGrouping.NONE,
          files: [file],
          weight: rule.weight,
          isAdmin: options.skipQuota,
          ignoreAvailability: rule.ignoreAvailability,
          random: options.random,
          did: formatDid(lock),
          rseExpression: rule.rseExpression,
        });
        consume(candidates, placement.groups);
        const target = placement.groups[0].rseIds[0];
        taken.set(key, new Set([...(taken.get(key) ?? []), target]));
        groups.push({ ...placement.groups[0], dataset });
        moving.push(lock);
      } catch (error) {
        if (!isPlacementFailure(error)) throw error;
        stay.push({ scope: lock.scope, name: lock.name, rseId: lock.rseId });
      }
    }
    if (moving.length === 0) return { moved: [], stay, change: noChange(rule.id) };

    const removed = await this.removeLocks(manager, rule, moving, 'it kept failing and was moved to another RSE');
    const movedAway = new Set(moving.map((l) => `${fileKey(l)}@${l.rseId}`));
    const remaining = fileLocks.filter((l) => !movedAway.has(`${fileKey(l)}@${l.rseId}`));
    const hasSource = await this.sourceCheck(manager, rule, files);
    const writable = new Set(rses.filter((r) => r.availabilityWrite).map((r) => r.id));
    const plan = ruleLockPlan(groups, {
      copies: rule.copies,
      isWritable: (rseId) => rule.ignoreAvailability || writable.has(rseId),
      hasSource,
      existingLocks: remaining,
    });
    const info = new Map<string, RecursiveFileRow>(
      moving.map((l) => [fileKey(l), { scope: l.scope, name: l.name, bytes: l.bytes, adler32: l.adler32, md5: l.md5, datasetScope: null, datasetName: null }]),
    );
    const result = await this.evaluator.apply(manager, rule, plan, info, groups, hasSource, 'add');
    if (rule.grouping !== RuleGrouping.NONE) {
      const datasets = [...new Map(groups.flatMap((g) => (g.dataset ? [[fileKey(g.dataset), g.dataset] as const] : []))).values()];
      await ruleReevaluationRepository.recountDatasetLocks(manager, rule.id, datasets);
      await ruleReevaluationRepository.deleteEmptyDatasetLocks(
        manager,
        rule.id,
        moving.flatMap((l) => (datasetsOf.get(fileKey(l)) ?? []).map((d) => ({ scope: d.scope, name: d.name, rseId: l.rseId }))),
      );
    }
    const rseName = new Map(rses.map((r) => [r.id, r.name]));
    const moved: MovedLock[] = moving.map((l, i) => {
      const toRseId = groups[i].rseIds[0];
      return { scope: l.scope, name: l.name, rseId: l.rseId, fromRse: rseName.get(l.rseId) ?? l.rseId, toRseId, toRse: rseName.get(toRseId) ?? toRseId };
    });
    return {
      moved,
      stay,
      change: {
        files: moving.length,
        delta: {
          ruleId: rule.id,
          ok: removed.delta.ok + result.counts.ok,
          replicating: removed.delta.replicating + result.counts.replicating,
          stuck: removed.delta.stuck + result.counts.stuck,
        },
        transfersQueued: result.transfersQueued,
        transfersCancelled: removed.transfersCancelled,
        error: result.error,
      },
    };
  }
}
