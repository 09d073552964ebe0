import { EntityManager } from 'typeorm';
import { deriveRuleState, LockState, RuleState } from '@tarn/domain';
import { tarnEvent, TarnEvent } from '@tarn/events';
import { ruleRepository, RuleCounters } from '@tarn/catalogue/repositories/rule.repository.js';
import { lockRepository } from '@tarn/catalogue/repositories/lock.repository.js';
import { datasetLockRepository } from '@tarn/catalogue/repositories/dataset-lock.repository.js';

/** Lock counter changes of one rule (positive or negative). */
export interface LockCounterDelta {
  ruleId: string;
  ok: number;
  replicating: number;
  stuck: number;
}

/**
 * Applies lock counter changes to their rules (locked in id order), derives each rule's state from its
 * counters (deriveRuleState; SUSPENDED, WAITING_APPROVAL and INJECT stay) and returns the events: rule.ok
 * for a rule that became OK, rule.stuck for one that became STUCK, rule.progress for the others.
 * A rule that became OK (or STUCK) has its dataset locks set likewise.
 */
export async function applyLockProgress(manager: EntityManager, deltas: readonly LockCounterDelta[]): Promise<TarnEvent[]> {
  const byRule = new Map<string, LockCounterDelta>();
  for (const d of deltas) {
    const sum = byRule.get(d.ruleId) ?? { ruleId: d.ruleId, ok: 0, replicating: 0, stuck: 0 };
    sum.ok += d.ok;
    sum.replicating += d.replicating;
    sum.stuck += d.stuck;
    byRule.set(d.ruleId, sum);
  }
  const rules = await ruleRepository.lockCounters(manager, [...byRule.keys()]);
  const writes: RuleCounters[] = [];
  const events: TarnEvent[] = [];
  const becameOk: string[] = [];
  const becameStuck: string[] = [];
  for (const rule of rules) {
    const d = byRule.get(rule.id)!;
    let counters = { ok: rule.locksOkCnt + d.ok, replicating: rule.locksReplicatingCnt + d.replicating, stuck: rule.locksStuckCnt + d.stuck };
    if (counters.ok < 0 || counters.replicating < 0 || counters.stuck < 0) {
      // Counters drifted (a bug or a manual change): recount from the locks rather than store nonsense.
      counters = await lockRepository.countByState(manager, rule.id);
    }
    const state = deriveRuleState({ state: rule.state, locksOk: counters.ok, locksReplicating: counters.replicating, locksStuck: counters.stuck }, rule.id);
    const now = new Date();
    writes.push({
      id: rule.id,
      state,
      locksOkCnt: counters.ok,
      locksReplicatingCnt: counters.replicating,
      locksStuckCnt: counters.stuck,
      error: state === RuleState.OK ? null : rule.error,
      stuckAt: state === RuleState.STUCK ? (rule.stuckAt ?? now) : state === RuleState.OK ? null : rule.stuckAt,
    });
    if (state === RuleState.OK && rule.state !== RuleState.OK) {
      becameOk.push(rule.id);
      events.push(tarnEvent('rule.ok', { ruleId: rule.id, scope: rule.scope, name: rule.name }));
    } else if (state === RuleState.STUCK && rule.state !== RuleState.STUCK) {
      becameStuck.push(rule.id);
      events.push(tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error: rule.error }));
    } else {
      events.push(
        tarnEvent('rule.progress', { ruleId: rule.id, locksOk: counters.ok, locksReplicating: counters.replicating, locksStuck: counters.stuck }),
      );
    }
  }
  await ruleRepository.writeCounters(manager, writes);
  await datasetLockRepository.setStateOfRules(manager, becameOk, LockState.OK);
  await datasetLockRepository.setStateOfRules(manager, becameStuck, LockState.STUCK);
  return events;
}
