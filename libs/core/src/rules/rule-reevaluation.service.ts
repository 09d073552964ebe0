import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { formatDid, RuleState } from '@tarn/domain';
import { UpdatedDidAction, unitOfWork } from '@tarn/catalogue';
import { isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import type { DidKey } from '@tarn/catalogue/repositories/did.repository.js';
import { ruleRepository, type RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { type ClaimedUpdatedDid, ruleReevaluationRepository } from '@tarn/catalogue/repositories/rule-reevaluation.repository.js';
import { ruleRepairRepository } from '@tarn/catalogue/repositories/rule-repair.repository.js';
import { updatedDidRepository } from '@tarn/catalogue/repositories/updated-did.repository.js';
import { appendEvents, tarnEvent, type TarnEvent } from '@tarn/events';
import { applyLockProgress, type LockCounterDelta } from './rule-progress.js';
import { isPlacementFailure, type LockChange, RuleReevaluator } from './rule-reevaluation.js';

/** Rules whose locks are made later as a whole (injection, approval): attach/detach leaves them alone. */
const NOT_EVALUATED = new Set<RuleState>([RuleState.INJECT, RuleState.WAITING_APPROVAL]);

/** Files per injection chunk unless configs rules/inject_chunk says otherwise. */
export const DEFAULT_INJECT_CHUNK = 10_000;

/** What the re-evaluation of one updated DID did. */
export interface DidEvaluation {
  did: DidKey;
  /** Queue rows consumed. */
  entries: number;
  rules: number;
  locksAdded: number;
  locksRemoved: number;
  transfersQueued: number;
  /** Rules left STUCK because the new files could not be placed, with why. */
  stuck: Array<{ ruleId: string; error: string }>;
}

export type DidEvaluationOutcome = { ok: true; evaluation: DidEvaluation } | { ok: false; did: DidKey; error: Error };

/** What one chunk of an INJECT rule's evaluation did. */
export interface InjectionChunk {
  ruleId: string;
  files: number;
  /** The rule is fully evaluated: its state follows its locks now. */
  done: boolean;
  state: RuleState;
  error: string | null;
}

async function skipsQuota(manager: EntityManager, rule: RuleRecord): Promise<boolean> {
  return rule.ignoreAccountLimit || (await isAdminAccount(manager, rule.account));
}

/** Runs `work` under a savepoint; a placement failure rolls it back and is returned as its message. */
async function placing<T>(manager: EntityManager, work: () => Promise<T>): Promise<{ value: T } | { failure: string }> {
  await manager.query('SAVEPOINT tarn_placement');
  try {
    const value = await work();
    await manager.query('RELEASE SAVEPOINT tarn_placement');
    return { value };
  } catch (error) {
    if (!isPlacementFailure(error)) throw error;
    await manager.query('ROLLBACK TO SAVEPOINT tarn_placement');
    return { failure: error.message.slice(0, 4000) };
  }
}

/** Leaves a rule STUCK with `error` (new files it could not place); the repairer retries them. */
async function markStuck(manager: EntityManager, rule: RuleRecord, error: string): Promise<TarnEvent> {
  await ruleRepository.update(manager, rule.id, { state: RuleState.STUCK, error, stuckAt: rule.stuckAt ?? new Date() });
  return tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error });
}

/**
 * The rule evaluator's and injector's units of work. Re-evaluation after attach/detach: the updated-DID queue
 * is claimed one DID at a time (FOR UPDATE SKIP LOCKED, so evaluators share it), and everything for that DID
 * — the locks of every rule on it and on its ancestors, their counters and states, the queue rows, the
 * events — commits in ONE transaction: a crash leaves either all of it or none.
 */
@Injectable()
export class RuleReevaluationService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RuleReevaluator) private readonly reevaluator: RuleReevaluator,
  ) {}

  /**
   * Re-evaluates the rules of the oldest updated DID not in `exclude`; null when the queue has nothing to claim.
   * A failure is returned with the DID (its queue rows stay for a later pass), not thrown.
   */
  async evaluateNextDid(options: { exclude?: readonly DidKey[]; claimLimit?: number } = {}): Promise<DidEvaluationOutcome | null> {
    let claimed: ClaimedUpdatedDid | null = null;
    try {
      const evaluation = await unitOfWork(this.dataSource, { what: 'rule re-evaluation of an updated DID' }, async (manager) => {
        claimed = await ruleReevaluationRepository.claimNextDid(manager, options.exclude ?? [], options.claimLimit ?? 10_000);
        if (!claimed) return null;
        const result = await this.evaluateDid(manager, claimed);
        await updatedDidRepository.remove(manager, claimed.ids);
        return result;
      });
      return evaluation ? { ok: true, evaluation } : null;
    } catch (error) {
      const did = claimed as ClaimedUpdatedDid | null;
      if (!did) throw error;
      return { ok: false, did: { scope: did.scope, name: did.name }, error: error as Error };
    }
  }

  private async evaluateDid(manager: EntityManager, claimed: ClaimedUpdatedDid): Promise<DidEvaluation> {
    const did = { scope: claimed.scope, name: claimed.name };
    const evaluation: DidEvaluation = { did, entries: claimed.ids.length, rules: 0, locksAdded: 0, locksRemoved: 0, transfersQueued: 0, stuck: [] };
    const candidates = (await ruleRepository.associated(manager, did.scope, did.name)).filter((r) => !NOT_EVALUATED.has(r.state));
    if (candidates.length === 0) return evaluation;
    // Rule rows locked in id order: one writer per rule at a time (other evaluators, the repairer, the cleaner).
    const rules = (await ruleRepository.lockCounters(manager, candidates.map((r) => r.id))).filter((r) => !NOT_EVALUATED.has(r.state));
    evaluation.rules = rules.length;
    const deltas: LockCounterDelta[] = [];
    const failed: Array<{ rule: RuleRecord; error: string }> = [];
    for (const rule of rules) {
      if (claimed.actions.has(UpdatedDidAction.DETACH)) {
        const removed = await this.reevaluator.removeDetachedLocks(manager, rule, did);
        deltas.push(removed.delta);
        evaluation.locksRemoved += removed.files;
      }
      if (claimed.actions.has(UpdatedDidAction.ATTACH)) {
        const skipQuota = await skipsQuota(manager, rule);
        const added = await placing(manager, () => this.reevaluator.addMissingLocks(manager, rule, { skipQuota, below: did }));
        if ('failure' in added) {
          failed.push({ rule, error: added.failure });
          continue;
        }
        this.count(evaluation, added.value);
        deltas.push(added.value.delta);
        if (added.value.error) await ruleRepository.update(manager, rule.id, { error: added.value.error });
      }
    }
    // Rules whose locks did not change (the new content was covered already) get no counters write and no event.
    const events = await applyLockProgress(manager, deltas.filter((d) => d.ok !== 0 || d.replicating !== 0 || d.stuck !== 0));
    for (const { rule, error } of failed) {
      events.push(await markStuck(manager, rule, `New content of ${formatDid(did)} could not be placed: ${error}`));
      evaluation.stuck.push({ ruleId: rule.id, error });
    }
    await appendEvents(manager, events);
    return evaluation;
  }

  private count(evaluation: DidEvaluation, change: LockChange): void {
    evaluation.locksAdded += change.delta.ok + change.delta.replicating + change.delta.stuck;
    evaluation.transfersQueued += change.transfersQueued;
  }

  /** Ids of INJECT rules, least recently worked on first (for the injector). */
  async injectRuleIds(limit = 100): Promise<string[]> {
    return ruleRepairRepository.injectRuleIds(this.dataSource.manager, limit);
  }

  /**
   * Evaluates the next chunk (at most `chunk` files, default configs rules/inject_chunk) of a deferred (INJECT)
   * rule in one transaction: its locks, replicas and transfers, placed like attached content (each dataset on the
   * RSEs its first chunk chose). After the last chunk the rule's state follows its locks (rule.ok / rule.stuck /
   * rule.progress). Null when there is nothing to do (gone, not INJECT, or another injector holds it). A
   * placement failure leaves the rule STUCK with the reason, for the repairer.
   */
  async injectChunk(ruleId: string, chunk?: number): Promise<InjectionChunk | null> {
    return unitOfWork(this.dataSource, { what: `injection of rule ${ruleId}` }, async (manager) => {
      const rule = await ruleRepository.findById(manager, ruleId, 'update-skip-locked');
      if (!rule || rule.state !== RuleState.INJECT) return null;
      const limit = chunk ?? (await injectChunkSize(manager));
      const skipQuota = await skipsQuota(manager, rule);
      const added = await placing(manager, () => this.reevaluator.addMissingLocks(manager, rule, { skipQuota, limit }));
      if ('failure' in added) {
        await appendEvents(manager, [await markStuck(manager, rule, added.failure)]);
        return { ruleId, files: 0, done: true, state: RuleState.STUCK, error: added.failure };
      }
      const done = added.value.files < limit;
      if (added.value.error) await ruleRepository.update(manager, rule.id, { error: added.value.error });
      // While chunks remain the rule stays INJECT (applyLockProgress keeps it); after the last, its locks decide.
      if (done) await ruleRepository.update(manager, rule.id, { state: RuleState.REPLICATING });
      const events = await applyLockProgress(manager, [added.value.delta]);
      await appendEvents(manager, events);
      const after = await ruleRepository.findById(manager, rule.id);
      return { ruleId, files: added.value.files, done, state: after!.state, error: after!.error };
    });
  }
}

async function injectChunkSize(manager: EntityManager): Promise<number> {
  const value = Number(await ruleRepository.config(manager, 'rules', 'inject_chunk'));
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_INJECT_CHUNK;
}
