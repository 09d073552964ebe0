import { type LockReasonCount, summarizeRuleWait } from '@tarn/domain';
import type { LockReasonGroup, LockView, RuleView } from '@tarn/core';
import { rfc1123 } from '../http/rucio-wire.js';

/** Locks listed in an analysis at most (STUCK first); `reasons` counts them all. */
export const ANALYSIS_LOCKS = 1000;

const STATE_NAMES: Record<string, string> = { R: 'REPLICATING', S: 'STUCK' };

/**
 * Rucio's examine_replication_rule, answering for every rule that is not OK: `rule_error` says in one line what it
 * waits for (its error, and its locks by reason), `transfers` lists the locks that are not OK (STUCK first, at most
 * ANALYSIS_LOCKS) with their reason and last error, `reasons` counts them by state and reason.
 */
export async function examineRule(rule: RuleView, groups: readonly LockReasonGroup[], locks: AsyncIterable<LockView>): Promise<Record<string, unknown>> {
  const counts: LockReasonCount[] = groups.map((g) => ({ state: g.state, code: g.code, locks: g.locks, example: g.example.reason }));
  const transfers: Record<string, unknown>[] = [];
  for await (const lock of locks) {
    transfers.push({
      scope: lock.scope,
      name: lock.name,
      rse_id: lock.rseId,
      rse: lock.rse,
      state: STATE_NAMES[lock.state] ?? lock.state,
      attempts: lock.repairCnt,
      reason_code: lock.reasonCode,
      reason: lock.reason,
      last_error: lock.error ?? lock.reason,
      last_source: null,
      sources: [],
      last_time: rfc1123(lock.updatedAt),
    });
  }
  return {
    rule_error: summarizeRuleWait(rule, counts),
    transfers,
    reasons: groups.map((g) => ({
      state: STATE_NAMES[g.state] ?? g.state,
      reason_code: g.code,
      locks: g.locks,
      bytes: g.bytes,
      rses: g.rses,
      example: g.example,
    })),
  };
}
