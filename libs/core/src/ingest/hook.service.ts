import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Duplicate, Forbidden, InvalidInput, NotFound, scopeDirectory } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findAccount, isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import { type HookRecord, hookRepository } from '@tarn/catalogue/repositories/hook.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import { nextTick } from './hook-schedule.js';
import { parseHookSpec } from './hook-spec.js';
import type { HookInput, HookRunView, HookSpec, HookView } from './hook.types.js';
import { hookRunView, hookView, specOf } from './hook.views.js';

function hookNotFound(name: string): NotFound {
  return new NotFound(`No hook named '${name}'. List the hooks (GET /hooks, tarn hook list) to see their names.`, {
    rucioClass: 'KeyNotFound',
    details: { hook: name },
  });
}

/**
 * Ingestion hooks: creation (validated: cron schedule, source, templates, rules), reads, updates, deletion, "run now"
 * and the record of runs. The ingester daemon runs them (HookRunner).
 */
@Injectable()
export class HookService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  async createHook(issuer: Issuer, input: HookInput): Promise<HookView> {
    const spec = parseHookSpec(input ?? {}, { account: issuer.account });
    return unitOfWork(this.dataSource, { what: `hook '${spec.name}'` }, async (manager) => {
      await this.assertAllowed(manager, issuer, spec);
      const created = await hookRepository.insert(manager, { ...spec, nextRunAt: nextTick(spec.schedule, spec.timezone) } as never);
      if (!created) {
        throw new Duplicate(`A hook named '${spec.name}' exists already. Choose another name, or update it (PUT /hooks/${spec.name}).`, {
          details: { hook: spec.name },
        });
      }
      return hookView(created);
    });
  }

  /** Hooks of an account (default: the issuer's; administrators may list every account's with `account: null`). */
  async listHooks(issuer: Issuer, account?: string | null): Promise<HookView[]> {
    const owner = account === undefined ? (issuer.admin ? null : issuer.account) : account;
    if (owner === null) this.permissions.assertAdmin(issuer, 'list the hooks of every account');
    else this.permissions.assertSelfOrAdmin(issuer, owner, 'list the hooks');
    const rows = await hookRepository.list(this.dataSource.manager, owner);
    return rows.map(hookView);
  }

  async getHook(issuer: Issuer, name: string): Promise<HookView> {
    return hookView(await this.ownHook(this.dataSource.manager, issuer, name, 'see'));
  }

  /** Changes a hook: the fields given replace the stored ones (source, target, rules... each as a whole). */
  async updateHook(issuer: Issuer, name: string, input: HookInput): Promise<HookView> {
    return unitOfWork(this.dataSource, { what: `hook '${name}'` }, async (manager) => {
      const current = await this.ownHook(manager, issuer, name, 'change', true);
      const merged: HookInput = { ...(specOf(current) as unknown as HookInput), ...stripUndefined(input ?? {}) };
      if (merged.source && 'kind' in merged.source) merged.source = sourceInput(merged.source);
      if (input?.source && !input.target && merged.target) merged.target = { ...merged.target, rse: undefined };
      const spec = parseHookSpec({ ...merged, name: input?.name ?? name }, { account: current.account });
      await this.assertAllowed(manager, issuer, spec);
      if (spec.name !== name && (await hookRepository.find(manager, { name: spec.name }))) {
        throw new Duplicate(`A hook named '${spec.name}' exists already: cannot rename '${name}' to it.`, { details: { hook: spec.name } });
      }
      const scheduleChanged = spec.schedule !== current.schedule || spec.timezone !== current.timezone;
      const nextRunAt = scheduleChanged || !current.nextRunAt ? nextTick(spec.schedule, spec.timezone) : current.nextRunAt;
      return hookView(await hookRepository.update(manager, current.id, { ...spec, nextRunAt } as never));
    });
  }

  /** Deletes a hook with its runs and its record of files taken in (the catalogue keeps the DIDs it registered). */
  async deleteHook(issuer: Issuer, name: string): Promise<void> {
    await unitOfWork(this.dataSource, { what: `hook '${name}'` }, async (manager) => {
      const hook = await this.ownHook(manager, issuer, name, 'delete', true);
      await hookRepository.delete(manager, hook.id);
    });
  }

  /** Asks the ingester to run the hook at its next pass (seconds), whatever the schedule. */
  async requestRun(issuer: Issuer, name: string): Promise<HookView> {
    return unitOfWork(this.dataSource, { what: `hook '${name}'` }, async (manager) => {
      const hook = await this.ownHook(manager, issuer, name, 'run', true);
      if (!hook.enabled) throw new InvalidInput(`Hook '${name}' is disabled: enable it first (PUT /hooks/${name} {"enabled": true}).`, { rucioClass: 'UnsupportedOperation' });
      return hookView(await hookRepository.requestRun(manager, hook.id));
    });
  }

  /** The latest runs of a hook, newest first. */
  async listRuns(issuer: Issuer, name: string, limit = 20): Promise<HookRunView[]> {
    const hook = await this.ownHook(this.dataSource.manager, issuer, name, 'see the runs');
    const rows = await hookRepository.runs(this.dataSource.manager, hook.id, Math.min(Math.max(1, Math.trunc(limit) || 20), 1000));
    return rows.map(hookRunView);
  }

  async getRun(issuer: Issuer, name: string, runId: string): Promise<HookRunView> {
    const hook = await this.ownHook(this.dataSource.manager, issuer, name, 'see the runs');
    const run = /^[0-9a-f-]{36}$/i.test(runId) ? await hookRepository.findRun(this.dataSource.manager, runId) : null;
    if (!run || run.hookId !== hook.id) throw new NotFound(`Hook '${name}' has no run ${runId}.`, { rucioClass: 'KeyNotFound', details: { hook: name, run: runId } });
    return hookRunView(run);
  }

  /** Files the hook took in, by state: P (in progress), R (registered, source kept until verified), D (done). */
  async fileCounts(issuer: Issuer, name: string): Promise<Record<string, number>> {
    const hook = await this.ownHook(this.dataSource.manager, issuer, name, 'see');
    return hookRepository.countFiles(this.dataSource.manager, hook.id);
  }

  private async ownHook(manager: EntityManager, issuer: Issuer, name: string, action: string, lock = false): Promise<HookRecord> {
    const hook = await hookRepository.find(manager, { name }, { lock });
    if (!hook) throw hookNotFound(name);
    if (!issuer.admin && hook.account !== issuer.account) {
      throw new Forbidden(`Account '${issuer.account}' may not ${action} hook '${name}': it belongs to '${hook.account}'. Ask its owner or an administrator.`);
    }
    return hook;
  }

  private async assertAllowed(manager: EntityManager, issuer: Issuer, spec: HookSpec): Promise<void> {
    this.permissions.assertSelfOrAdmin(issuer, spec.account, 'manage the hooks');
    if (spec.source.kind === 'dropbox') {
      this.permissions.assertAdmin(issuer, `read and remove files of the ingester's host (drop-box ${spec.source.directory} of hook '${spec.name}')`);
    }
    if (!(await findAccount(manager, spec.account))) throw NotFound.account(spec.account);
    const owner: Issuer = { account: spec.account, admin: await isAdminAccount(manager, spec.account) };
    await this.permissions.assertCanWriteScopes(manager, owner, [spec.target.scope]);
    if (spec.source.kind === 'rse' && !owner.admin) {
      // A hook lists what is under its prefix: an owner who is not an administrator lists only its scope's directory,
      // so that neither its runs nor their errors show files of scopes it may not read.
      const area = scopeDirectory(spec.target.scope);
      const prefix = (spec.source.prefix ?? '').replace(/^\/+/, '').replace(/\/*$/, '/');
      if (!prefix.startsWith(area) || prefix.split('/').some((s) => s === '.' || s === '..')) {
        throw new Forbidden(
          `Hook '${spec.name}' of account '${spec.account}' may take files in place only under its scope's directory '${area}' on RSE '${spec.source.rse}' ` +
            `(its prefix is '${spec.source.prefix ?? ''}'): set --prefix to '${area}...', or ask an administrator to own the hook.`,
        );
      }
    }
    if (!(await hookRepository.rseId(manager, spec.target.rse))) throw NotFound.rse(spec.target.rse);
    for (const rule of spec.rules) await this.expressions.resolve(manager, rule.rseExpression);
  }
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A stored source back in the input form. */
function sourceInput(source: Record<string, unknown>): Record<string, unknown> {
  return source.kind === 'rse'
    ? { rse: source.rse, prefix: source.prefix, glob: source.glob }
    : { dropbox: source.directory, glob: source.glob };
}
