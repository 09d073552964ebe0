import { EntityManager } from 'typeorm';
import { ruleRepository, RuleRecord } from '@tarn/catalogue/repositories/rule.repository.js';
import { lockRepository } from '@tarn/catalogue/repositories/lock.repository.js';
import { datasetLockRepository } from '@tarn/catalogue/repositories/dataset-lock.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { replicaRepository } from '@tarn/catalogue/repositories/replica.repository.js';
import type { RuleRemovalResult } from './rule.types.js';

/**
 * Removes a rule and everything it holds, set-based: replicas lose its locks (lock_cnt - 1, tombstone when
 * none is left), its transfers that no other lock needs are cancelled (moved to requests_history as FAILED
 * with the reason), its locks and dataset locks go, the account's usage shrinks, and the rule row is deleted.
 * The caller has locked the rule row and writes the event.
 */
export async function removeRule(manager: EntityManager, rule: RuleRecord, options: { purgeReplicas: boolean; why: string }): Promise<RuleRemovalResult> {
  const usage = await lockRepository.usageOfRule(manager, rule.id);
  await replicaRepository.releaseForRule(manager, rule.id, options.purgeReplicas);
  const transfersCancelled = await requestRepository.cancelUnneededOfRule(
    manager,
    rule.id,
    `cancelled: rule ${rule.id} ${options.why} and no other rule needs this copy`,
  );
  await datasetLockRepository.deleteOfRule(manager, rule.id);
  const locksRemoved = await lockRepository.deleteOfRule(manager, rule.id);
  await lockRepository.addAccountUsage(
    manager,
    rule.account,
    usage.map((u) => ({ rseId: u.rseId, files: -u.files, bytes: -u.bytes })),
  );
  await ruleRepository.clearChildLinks(manager, rule.id);
  await ruleRepository.delete(manager, rule.id);
  return { ruleId: rule.id, locksRemoved, transfersCancelled };
}
