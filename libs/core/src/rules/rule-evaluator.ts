import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  countLocks,
  Did,
  DidType,
  deriveRuleState,
  formatDid,
  LockCounts,
  LockPlanEntry,
  type LockReason,
  LockReasonCode,
  LockState,
  placeRule,
  PlacementCandidate,
  PlacementFile,
  ReplicaState,
  RuleGrouping,
  ruleLockPlan,
  RuleState,
  stuckAtPlacement,
} from '@tarn/domain';
import { outboxColumns } from '@tarn/events';
import { listFilesRecursive, RecursiveFileRow } from '@tarn/catalogue/repositories/did.repository.js';
import { ruleRepository, RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { lockRepository, UsageDelta } from '@tarn/catalogue/repositories/lock.repository.js';
import { datasetLockRepository, NewDatasetLock } from '@tarn/catalogue/repositories/dataset-lock.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { ruleReevaluationRepository } from '@tarn/catalogue/repositories/rule-reevaluation.repository.js';
import { LockedReplica, replicaRepository, sortReplicaKeys } from '@tarn/catalogue/repositories/replica.repository.js';
import { QuotaService } from '../rses/quota.service.js';
import { ResolvedRse, RseExpressionService } from '../rses/rse-expression.service.js';
import { refreshLockReasons } from './lock-reasons.js';

/** The part of a rule its placement depends on. */
export type PlaceableRule = Pick<
  RuleRecord,
  | 'id' | 'account' | 'scope' | 'name' | 'didType' | 'rseExpression' | 'copies' | 'weight' | 'grouping' | 'activity'
  | 'priority' | 'sourceReplicaExpression' | 'ignoreAvailability'
>;

export interface EvaluationResult {
  counts: LockCounts;
  /** OK, REPLICATING or STUCK, from the new locks. */
  state: RuleState;
  error: string | null;
  /** Transfers queued (new requests; their transfer.queued events are already in the outbox). */
  transfersQueued: number;
}

export interface EvaluateOptions {
  /** Administrators and rules with ignore_account_limit are not held to quotas. */
  skipQuota: boolean;
  /** Uniform in [0, 1), for deterministic tests. */
  random?: () => number;
}

const fileKey = (f: { scope: string; name: string }): string => `${f.scope}:${f.name}`;
const NO_REPLICAS: ReadonlyArray<{ rseId: string; state: ReplicaState }> = [];

/** Bytes an RSE can take for placement: free bytes less its MinFreeSpace; null when unknown. */
function placeableBytes(rse: ResolvedRse): number | null {
  if (rse.freeBytes === null) return null;
  return rse.freeBytes - (rse.limits.MinFreeSpace ?? 0);
}

/**
 * Places a rule and writes what it implies, set-based (one statement per table): locks, replicas
 * (lock_cnt + 1 or new COPYING rows), queued transfers, dataset locks and the account's usage.
 */
@Injectable()
export class RuleEvaluator {
  constructor(
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
    @Inject(QuotaService) private readonly quotas: QuotaService,
  ) {}

  /** The rule's RSEs and their placement candidates (weight, free space, quota left). */
  async candidates(manager: EntityManager, rule: PlaceableRule, skipQuota: boolean): Promise<{ rses: ResolvedRse[]; candidates: PlacementCandidate[] }> {
    const rses = await this.expressions.resolve(manager, rule.rseExpression);
    const quota = skipQuota ? new Map<string, number>() : await this.quotas.remainingQuota(manager, rule.account, rses.map((r) => r.id));
    const candidates = rses.map((rse) => ({
      id: rse.id,
      name: rse.name,
      weight: rule.weight ? (rse.attributes[rule.weight] ?? null) : undefined,
      freeBytes: placeableBytes(rse),
      quotaLeft: quota.get(rse.id) ?? Infinity,
      availabilityWrite: rse.availabilityWrite,
    }));
    return { rses, candidates };
  }

  /**
   * What Rucio's RSESelector checks when a rule is created without evaluating it now (asynchronous, waiting
   * for approval): the expressions resolve and enough RSEs qualify (write availability, weight, quota left).
   */
  async checkTargets(manager: EntityManager, rule: PlaceableRule, skipQuota: boolean): Promise<void> {
    const { candidates } = await this.candidates(manager, rule, skipQuota);
    if (rule.sourceReplicaExpression) await this.expressions.resolve(manager, rule.sourceReplicaExpression);
    placeRule({
      candidates,
      copies: rule.copies,
      grouping: RuleGrouping.ALL,
      files: [],
      weight: rule.weight,
      isAdmin: skipQuota,
      ignoreAvailability: rule.ignoreAvailability,
      did: formatDid(rule),
      rseExpression: rule.rseExpression,
    });
  }

  async evaluate(manager: EntityManager, rule: PlaceableRule, options: EvaluateOptions): Promise<EvaluationResult> {
    const { rses, candidates } = await this.candidates(manager, rule, options.skipQuota);
    const rseIds = rses.map((r) => r.id);
    const rows = await listFilesRecursive(manager, rule.scope, rule.name);
    const info = new Map<string, RecursiveFileRow>();
    for (const row of rows) if (!info.has(fileKey(row))) info.set(fileKey(row), row);
    const distinctFiles = [...info.values()];

    const existing = await replicaRepository.lockOnRses(manager, distinctFiles, rseIds);
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
      replicas: replicasOf.get(fileKey(row)) ?? NO_REPLICAS,
    }));
    const datasets: Did[] =
      rule.grouping === RuleGrouping.DATASET && rule.didType !== DidType.FILE
        ? await ruleRepository.datasets(manager, rule.scope, rule.name, rule.didType)
        : [];

    const placement = placeRule({
      candidates,
      copies: rule.copies,
      grouping: rule.grouping,
      files,
      datasets,
      weight: rule.weight,
      isAdmin: options.skipQuota,
      ignoreAvailability: rule.ignoreAvailability,
      random: options.random,
      did: formatDid(rule),
      rseExpression: rule.rseExpression,
    });

    let hasSource: ((file: PlacementFile) => boolean) | undefined;
    if (rule.sourceReplicaExpression) {
      const sources = await this.expressions.resolve(manager, rule.sourceReplicaExpression);
      const available = await replicaRepository.availableOn(manager, distinctFiles, sources.map((r) => r.id));
      hasSource = (file) => available.has(fileKey(file));
    }
    const writable = new Set(rses.filter((r) => r.availabilityWrite).map((r) => r.id));
    const plan = ruleLockPlan(placement.groups, {
      copies: rule.copies,
      isWritable: (rseId) => rule.ignoreAvailability || writable.has(rseId),
      hasSource,
    });
    return this.apply(manager, rule, plan, info, placement.groups, hasSource);
  }

  /**
   * Writes a lock plan (also for re-evaluation after attach and for repairs): `datasetLockMode: 'add'` grows the
   * rule's existing dataset locks instead of inserting new ones.
   */
  async apply(
    manager: EntityManager,
    rule: PlaceableRule,
    plan: LockPlanEntry[],
    info: Map<string, RecursiveFileRow>,
    groups: ReadonlyArray<{ dataset: Did | null; rseIds: string[] }>,
    hasSource: ((file: PlacementFile) => boolean) | undefined,
    datasetLockMode: 'insert' | 'add' = 'insert',
  ): Promise<EvaluationResult> {
    const entries = sortReplicaKeys(plan);
    const replicas: LockedReplica[] = entries.map((e) => {
      const file = info.get(fileKey(e));
      return {
        scope: e.scope,
        name: e.name,
        rseId: e.rseId,
        bytes: e.bytes,
        adler32: file?.adler32 ?? null,
        md5: file?.md5 ?? null,
        state: e.replicaState,
        isNew: e.replicaAction === 'create',
      };
    });
    const existed = await replicaRepository.upsertForLocks(manager, replicas);

    // A replica planned as new but found existing was inserted by a concurrent writer after our read:
    // its lock follows the state it has now.
    const raced = new Map<string, ReplicaState>();
    for (const row of existed) raced.set(`${fileKey(row)}@${row.rseId}`, row.state);
    const newReplicaUsage = new Map<string, UsageDelta>();
    for (const entry of entries) {
      const state = entry.replicaAction === 'create' && raced.size > 0 ? raced.get(`${fileKey(entry)}@${entry.rseId}`) : undefined;
      if (state === ReplicaState.AVAILABLE || state === ReplicaState.TEMPORARY_UNAVAILABLE) {
        Object.assign(entry, { lockState: LockState.OK, transfer: false, stuckBy: undefined });
      } else if (state === ReplicaState.BEING_DELETED) {
        Object.assign(entry, { lockState: LockState.STUCK, transfer: false, stuckBy: 'being-deleted' });
      } else if (state === undefined && entry.replicaAction === 'create') {
        const usage = newReplicaUsage.get(entry.rseId) ?? { rseId: entry.rseId, files: 0, bytes: 0 };
        usage.files += 1;
        usage.bytes += entry.bytes;
        newReplicaUsage.set(entry.rseId, usage);
      }
    }

    await lockRepository.insert(
      manager,
      rule.id,
      rule.account,
      entries.map((e) => ({ scope: e.scope, name: e.name, rseId: e.rseId, bytes: e.bytes, state: e.lockState, reason: placementReason(e, rule) })),
    );
    const transfers = entries.filter((e) => e.transfer);
    // The transfer.queued events (one per destination RSE) are written by the same statement as the requests.
    const transfersQueued = await requestRepository.insertQueued(
      manager,
      transfers.map((e) => {
        const file = info.get(fileKey(e));
        return { scope: e.scope, name: e.name, destRseId: e.rseId, bytes: e.bytes, adler32: file?.adler32 ?? null, md5: file?.md5 ?? null };
      }),
      {
        ruleId: rule.id,
        account: rule.account,
        activity: rule.activity,
        priority: rule.priority,
        attributes: rule.sourceReplicaExpression ? { source_replica_expression: rule.sourceReplicaExpression } : null,
      },
      outboxColumns('transfer.queued'),
    );
    // A transfer queued just now is what its new lock waits for; the others wait for what is already under way there.
    const known = transfersQueued === transfers.length;
    await refreshLockReasons(manager, entries.filter((e) => e.lockState === LockState.REPLICATING && !(e.transfer && known)));
    if (rule.grouping !== RuleGrouping.NONE) {
      const locks = datasetLocks(entries, groups);
      if (datasetLockMode === 'add') await ruleReevaluationRepository.addDatasetLocks(manager, rule.id, rule.account, locks);
      else await datasetLockRepository.insert(manager, rule.id, rule.account, locks);
    }
    const usage = new Map<string, UsageDelta>();
    for (const e of entries) {
      const delta = usage.get(e.rseId) ?? { rseId: e.rseId, files: 0, bytes: 0 };
      delta.files += 1;
      delta.bytes += e.bytes;
      usage.set(e.rseId, delta);
    }
    await lockRepository.addAccountUsage(manager, rule.account, [...usage.values()]);
    await replicaRepository.addRseUsage(manager, [...newReplicaUsage.values()]);

    const counts = countLocks(entries);
    const state = deriveRuleState({ state: RuleState.REPLICATING, locksOk: counts.ok, locksReplicating: counts.replicating, locksStuck: counts.stuck }, rule.id);
    return { counts, state, error: counts.stuck > 0 ? stuckError(entries, hasSource, rule) : null, transfersQueued };
  }
}

const QUEUED: LockReason = { code: LockReasonCode.QUEUED, text: 'queued for transfer' };

/** The reason a new lock starts with: known from the plan, except for locks on replicas already COPYING (refreshed after). */
function placementReason(entry: LockPlanEntry, rule: PlaceableRule): LockReason | null {
  if (entry.lockState === LockState.OK) return null;
  if (entry.lockState === LockState.REPLICATING) return entry.transfer ? QUEUED : null;
  if (entry.stuckBy === 'unwritable') return stuckAtPlacement.unwritable();
  if (entry.stuckBy === 'no-source') return stuckAtPlacement.noSource(rule.sourceReplicaExpression ?? '');
  return stuckAtPlacement.beingDeleted();
}

/** One dataset lock per (dataset, RSE) the rule covers, in the state of its worst file lock. */
function datasetLocks(entries: readonly LockPlanEntry[], groups: ReadonlyArray<{ dataset: Did | null; rseIds: string[] }>): NewDatasetLock[] {
  const locks = new Map<string, NewDatasetLock>();
  const lockOf = (dataset: Did, rseId: string): NewDatasetLock => {
    const key = `${fileKey(dataset)}@${rseId}`;
    let lock = locks.get(key);
    if (!lock) locks.set(key, (lock = { scope: dataset.scope, name: dataset.name, rseId, state: LockState.OK, length: 0, bytes: 0 }));
    return lock;
  };
  for (const group of groups) if (group.dataset) for (const rseId of group.rseIds) lockOf(group.dataset, rseId);
  for (const e of entries) {
    if (!e.dataset) continue;
    const lock = lockOf(e.dataset, e.rseId);
    lock.length += 1;
    lock.bytes += e.bytes;
    if (e.lockState === LockState.STUCK) lock.state = LockState.STUCK;
    else if (e.lockState === LockState.REPLICATING && lock.state === LockState.OK) lock.state = LockState.REPLICATING;
  }
  return [...locks.values()];
}

function stuckError(entries: readonly LockPlanEntry[], hasSource: ((file: PlacementFile) => boolean) | undefined, rule: PlaceableRule): string {
  const stuck = entries.filter((e) => e.lockState === LockState.STUCK);
  const noSource = hasSource ? stuck.filter((e) => !hasSource(e)).length : 0;
  const reasons: string[] = [];
  if (noSource > 0) reasons.push(`${noSource} without an AVAILABLE source replica on '${rule.sourceReplicaExpression}'`);
  if (stuck.length - noSource > 0) reasons.push(`${stuck.length - noSource} whose replica on the chosen RSE is being deleted or cannot be copied`);
  const example = stuck[0];
  return (
    `${stuck.length} of ${entries.length} lock(s) cannot be satisfied: ${reasons.join('; ')} (e.g. ${fileKey(example)}). ` +
    'The rule repairer retries them; check the source replicas or the RSEs.'
  );
}
