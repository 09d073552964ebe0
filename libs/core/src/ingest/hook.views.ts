import type { HookRecord, HookRunRecord } from '@tarn/catalogue/repositories/hook.repository.js';
import type { RuleTemplate } from '../subscriptions/rule-template.js';
import type { ChecksumPolicy, HookAfter, HookRunView, HookSource, HookSpec, HookTarget, HookView, HookRunTrigger, HookRunState } from './hook.types.js';

/** The validated spec a hook row stores. */
export function specOf(record: HookRecord): HookSpec {
  return {
    name: record.name,
    account: record.account,
    schedule: record.schedule,
    timezone: record.timezone,
    enabled: record.enabled,
    source: record.source as unknown as HookSource,
    target: record.target as unknown as HookTarget,
    checksum: record.checksum as ChecksumPolicy,
    rules: record.rules as unknown as RuleTemplate[],
    after: record.after as unknown as HookAfter,
    comment: record.comment,
  };
}

export function hookView(record: HookRecord): HookView {
  return {
    id: record.id,
    ...specOf(record),
    nextRunAt: record.nextRunAt,
    runRequestedAt: record.runRequestedAt,
    lastRunAt: record.lastRunAt,
    lastSuccessAt: record.lastSuccessAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function hookRunView(run: HookRunRecord): HookRunView {
  return {
    id: run.id,
    hook: run.hook,
    trigger: run.trigger as HookRunTrigger,
    state: run.state as HookRunState,
    instance: run.instance,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    filesListed: run.filesListed,
    filesRegistered: run.filesRegistered,
    filesSkipped: run.filesSkipped,
    filesFailed: run.filesFailed,
    bytesRegistered: Number(run.bytesRegistered),
    datasetsCreated: run.datasetsCreated,
    rulesCreated: run.rulesCreated,
    sourcesRemoved: run.sourcesRemoved,
    errors: run.errors as unknown as HookRunView['errors'],
  };
}
