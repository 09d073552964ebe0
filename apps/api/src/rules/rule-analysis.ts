import { LockState, RuleState } from '@tarn/domain';
import type { LockView, RuleView } from '@tarn/core';
import { rfc1123 } from '../http/rucio-wire.js';

const STATE_MESSAGES: Partial<Record<RuleState, string>> = {
  [RuleState.OK]: 'This replication rule is OK',
  [RuleState.REPLICATING]: 'This replication rule is currently REPLICATING',
  [RuleState.SUSPENDED]: 'This replication rule is SUSPENDED',
  [RuleState.WAITING_APPROVAL]: 'This replication rule is WAITING_APPROVAL',
  [RuleState.INJECT]: 'This replication rule is waiting to be evaluated (INJECT)',
};

/**
 * Rucio's examine_replication_rule: why a rule is stuck. Only the rule's stuck locks are kept while the locks
 * stream by, so a rule over millions of files is read without holding them.
 */
export async function examineRule(rule: RuleView, locks: AsyncIterable<LockView>): Promise<Record<string, unknown>> {
  const message = STATE_MESSAGES[rule.state];
  if (message !== undefined) return { rule_error: message, transfers: [] };
  const transfers: Record<string, unknown>[] = [];
  for await (const lock of locks) {
    if (lock.state !== LockState.STUCK) continue;
    transfers.push({
      scope: lock.scope,
      name: lock.name,
      rse_id: lock.rseId,
      rse: lock.rse,
      attempts: lock.repairCnt,
      last_error: lock.error,
      last_source: null,
      sources: [],
      last_time: rfc1123(lock.updatedAt),
    });
  }
  return { rule_error: rule.error, transfers };
}
