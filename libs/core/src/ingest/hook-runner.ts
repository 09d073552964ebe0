import { Inject, Injectable } from '@nestjs/common';
import { stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { DataSource } from 'typeorm';
import { deterministicPath, didNameProblem, Duplicate, formatDid, InvalidInput, NotFound, ReplicaState, TarnError } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import {
  type ClaimedFile,
  type HookRecord,
  hookRepository,
  type HookRunTotals,
  type IngestCandidate,
  type IngestFileKey,
} from '@tarn/catalogue/repositories/hook.repository.js';
import { checksumStream } from '@tarn/checksums';
import type { StorageEntry, StorageProtocol } from '@tarn/storage';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { attachInTransaction } from '../dids/did-attachment.js';
import { DidService } from '../dids/did.service.js';
import { ReplicaService } from '../replicas/replica.service.js';
import type { RseInfo } from '../rses/rse-info.js';
import { RseService } from '../rses/rse.service.js';
import { RuleService } from '../rules/rule.service.js';
import { ruleSpecs } from '../subscriptions/rule-template.js';
import { mapBounded } from '../bounded.js';
import { localStorage, rseStorage } from './ingest-storage.js';
import { nextTick } from './hook-schedule.js';
import { compilePattern } from './hook-spec.js';
import { builtinFields, extractFields, metaValue, renderTemplate } from '@tarn/domain';
import type { HookRunTrigger, HookRunView, HookSpec } from './hook.types.js';
import { hookRunView, specOf } from './hook.views.js';

export interface HookRunOptions {
  /** Files per registration call (default 1,000). */
  batchSize?: number;
  /** Uploads or checksum reads at once (default 4). */
  concurrency?: number;
  /** A tick this much older than now is a catch-up run (default 60 s). */
  catchUpAfterMs?: number;
  /** After a failed run, the hook is tried again after this long, unless its next tick comes first (default 300 s). */
  retryAfterMs?: number;
  /** Aborted when the ingester stops: the run ends after the batch in hand. */
  signal?: AbortSignal;
  /** Run even when not due (tests, `runNow` in-process). */
  force?: boolean;
}

const MAX_ERRORS = 100;

class RunLog {
  readonly totals: HookRunTotals = {
    filesListed: 0,
    filesRegistered: 0,
    filesSkipped: 0,
    filesFailed: 0,
    bytesRegistered: 0,
    datasetsCreated: 0,
    rulesCreated: 0,
    sourcesRemoved: 0,
  };
  readonly errors: Array<{ path?: string; did?: string; error: string }> = [];

  fail(error: unknown, where: { path?: string; did?: string } = {}, countFile = true): void {
    if (countFile) this.totals.filesFailed++;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ ...where, error: error instanceof Error ? error.message : String(error) });
  }
}

/** A file of this run, from listing to registration. */
interface RunFile extends ClaimedFile {
  mtime: Date;
  meta: Record<string, unknown>;
  adler32?: string | null;
  md5?: string | null;
  /** Path of the replica relative to the target protocol prefix. */
  replicaPath: string;
}

/** Per-file domain errors are isolated by halving the batch; anything else (database, permissions) fails the run. */
function isFileError(error: unknown): boolean {
  return error instanceof InvalidInput || error instanceof Duplicate || (error instanceof NotFound && error.rucioClass === 'DataIdentifierNotFound');
}

async function bisect<T>(items: T[], work: (part: T[]) => Promise<void>, failed: (item: T, error: unknown) => void): Promise<T[]> {
  if (items.length === 0) return [];
  try {
    await work(items);
    return items;
  } catch (error) {
    if (!isFileError(error)) throw error;
    if (items.length === 1) {
      failed(items[0], error);
      return [];
    }
    const half = Math.ceil(items.length / 2);
    return [...(await bisect(items.slice(0, half), work, failed)), ...(await bisect(items.slice(half), work, failed))];
  }
}

const keyOf = (f: IngestFileKey) => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs });

/**
 * Runs ingestion hooks: lists the source, claims new files (keyed by path, size and mtime) before registering them,
 * registers each batch in one transaction (file DIDs with their metadata and replicas, one statement), attaches the
 * files to their datasets together with their final state (one transaction per dataset), applies the
 * rule templates to the datasets the hook creates and, for drop-boxes, removes local files once their replica is
 * verified. A run holds the hook's advisory lock, so runs never overlap across instances; a run that died leaves its
 * claimed files in state P, which the next run checks against the catalogue and finishes.
 */
@Injectable()
export class HookRunner {
  readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DidService) private readonly dids: DidService,
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
    @Inject(RuleService) private readonly rules: RuleService,
    @Inject(RseService) private readonly rses: RseService,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** Hooks whose tick has come (or missed while no ingester ran) or that were asked to run. */
  async dueHooks(limit = 100, now = new Date()): Promise<HookRecord[]> {
    return hookRepository.due(this.dataSource.manager, now, limit);
  }

  async nextTick(): Promise<Date | null> {
    return hookRepository.nextTick(this.dataSource.manager);
  }

  /**
   * Runs the hook if it is due (or `force`) and no other run of it is in progress anywhere; null otherwise.
   */
  async run(hookId: string, options: HookRunOptions = {}): Promise<HookRunView | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (!(await hookRepository.tryLock(runner.manager, hookId))) return null;
      try {
        return await this.runLocked(hookId, options);
      } finally {
        await hookRepository.unlock(runner.manager, hookId);
      }
    } finally {
      await runner.release();
    }
  }

  private async runLocked(hookId: string, options: HookRunOptions): Promise<HookRunView | null> {
    const manager = this.dataSource.manager;
    const hook = await hookRepository.find(manager, { id: hookId });
    if (!hook) return null;
    const now = new Date();
    const requested = hook.runRequestedAt !== null;
    const ticked = hook.nextRunAt !== null && hook.nextRunAt.getTime() <= now.getTime();
    if (!options.force && (!hook.enabled || (!requested && !ticked))) return null;
    const trigger: HookRunTrigger = requested || options.force ? 'MANUAL' : now.getTime() - hook.nextRunAt!.getTime() > (options.catchUpAfterMs ?? 60_000) ? 'CATCHUP' : 'SCHEDULED';

    const { id: runId, startedAt } = await unitOfWork(this.dataSource, { what: `run of hook '${hook.name}'` }, (m) =>
      hookRepository.startRun(m, hook.id, trigger, this.instance),
    );
    const log = new RunLog();
    let state = 'DONE';
    try {
      await this.execute(hook, specOf(hook), runId, log, options);
    } catch (error) {
      state = 'FAILED';
      log.fail(error, {}, false);
    }
    const tick = nextTick(hook.schedule, hook.timezone);
    const retry = new Date(Date.now() + (options.retryAfterMs ?? 300_000));
    const nextRunAt = state === 'DONE' || tick < retry ? tick : retry;
    await unitOfWork(this.dataSource, { what: `run of hook '${hook.name}'` }, async (m) => {
      await hookRepository.recordProgress(m, runId, log.totals, log.errors);
      await hookRepository.finishRun(m, { id: runId, hookId: hook.id, state, startedAt, nextRunAt });
    });
    const run = await hookRepository.findRun(manager, runId);
    return hookRunView(run!);
  }

  private async issuerOf(account: string): Promise<Issuer> {
    return { account, admin: await isAdminAccount(this.dataSource.manager, account) };
  }

  private async execute(hook: HookRecord, spec: HookSpec, runId: string, log: RunLog, options: HookRunOptions): Promise<void> {
    const issuer = await this.issuerOf(hook.account);
    const rseId = await hookRepository.rseId(this.dataSource.manager, spec.target.rse);
    if (!rseId) throw NotFound.rse(spec.target.rse);
    const info = await this.rses.getRseInfo(issuer, spec.target.rse);
    const batchSize = options.batchSize ?? 1000;
    const concurrency = options.concurrency ?? 4;

    const source = spec.source.kind === 'rse' ? rseStorage(info, 'read', hook.name) : localStorage(spec.source.directory);
    const target = spec.source.kind === 'dropbox' ? rseStorage(info, 'write', hook.name) : source;
    try {
      if (spec.source.kind === 'dropbox') await this.settleDropbox(hook, spec, rseId, log);
      const context: BatchContext = { hook, spec, issuer, info, rseId, runId, log, source, target, concurrency, runDate: new Date() };
      const prefix = spec.source.kind === 'rse' ? spec.source.prefix : '';
      const matches = spec.source.glob ? picomatch(spec.source.glob, { dot: false }) : null;
      let batch: StorageEntry[] = [];
      // The listing goes on while the previous batch is registered (one batch registering at a time).
      let registering: Promise<void> = Promise.resolve();
      const register = async (entries: StorageEntry[]) => {
        await this.ingestBatch(context, entries);
        await this.progress(runId, log);
      };
      try {
        for await (const entry of source.list(prefix.replace(/\/+$/, ''))) {
          const relative = prefix ? entry.path.slice(prefix.replace(/\/?$/, '/').length) : entry.path;
          if (prefix && !entry.path.startsWith(prefix.replace(/\/?$/, '/'))) continue;
          if (matches && !matches(relative)) continue;
          log.totals.filesListed++;
          batch.push({ ...entry, path: relative });
          if (batch.length >= batchSize) {
            await registering;
            if (options.signal?.aborted) throw new Error('the ingester is stopping; the run goes on at its next start');
            registering = register(batch);
            registering.catch(() => undefined); // awaited before the next batch or below; not unhandled meanwhile
            batch = [];
          }
        }
        await registering;
      } finally {
        await registering.catch(() => undefined);
      }
      if (batch.length > 0) await this.ingestBatch(context, batch);
      if (spec.source.kind === 'dropbox') await this.settleDropbox(hook, spec, rseId, log);
    } finally {
      await source.close().catch(() => undefined);
      if (target !== source) await target.close().catch(() => undefined);
    }
  }

  private async progress(runId: string, log: RunLog): Promise<void> {
    await hookRepository.recordProgress(this.dataSource.manager, runId, log.totals, log.errors);
  }

  /** Turns listed entries into files with DIDs, or errors. */
  private describe(ctx: BatchContext, entries: StorageEntry[]): { candidates: IngestCandidate[]; details: Map<string, { mtime: Date; meta: Record<string, unknown> }> } {
    const { spec, hook, log } = ctx;
    const pattern = compilePattern(spec.target.pattern, hook.name);
    const candidates: IngestCandidate[] = [];
    const details = new Map<string, { mtime: Date; meta: Record<string, unknown> }>();
    const names = new Set<string>();
    for (const entry of entries) {
      try {
        const extracted = extractFields(pattern, entry.path);
        if (extracted === null) throw new InvalidInput(`File '${entry.path}' does not match the pattern ${spec.target.pattern} of hook '${hook.name}'.`);
        const fields = { ...builtinFields(entry.path, entry.mtime, ctx.runDate, hook.name), ...extracted };
        const name = renderTemplate(spec.target.name, fields, entry.path);
        const problem = didNameProblem(name);
        if (problem) throw new InvalidInput(`File '${entry.path}' would be named '${name}', which is not a valid DID name: ${problem}.`);
        if (names.has(name)) throw new InvalidInput(`File '${entry.path}' would be named '${name}' like another file of this run; make the name template unique.`);
        names.add(name);
        const dataset = spec.target.dataset ? renderTemplate(spec.target.dataset, fields, entry.path) : null;
        const datasetProblem = dataset ? didNameProblem(dataset) : null;
        if (datasetProblem) throw new InvalidInput(`File '${entry.path}' would go to dataset '${dataset}', which is not a valid DID name: ${datasetProblem}.`);
        const meta: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(extracted)) meta[key] = metaValue(value);
        for (const [key, template] of Object.entries(spec.target.meta)) meta[key] = metaValue(renderTemplate(template, fields, entry.path));
        candidates.push({ path: entry.path, size: entry.bytes, mtimeMs: entry.mtime.getTime(), scope: spec.target.scope, name, dataset });
        details.set(entry.path, { mtime: entry.mtime, meta });
      } catch (error) {
        log.fail(error, { path: entry.path });
      }
    }
    return { candidates, details };
  }

  private async ingestBatch(ctx: BatchContext, entries: StorageEntry[]): Promise<void> {
    const { hook, spec, issuer, log, runId } = ctx;
    const { candidates, details } = this.describe(ctx, entries);
    if (candidates.length === 0) return;
    const claimed = await unitOfWork(this.dataSource, { what: `files of hook '${hook.name}'` }, (m) => hookRepository.claim(m, hook.id, runId, candidates));
    log.totals.filesSkipped += claimed.filter((c) => c.status === 'done').length;
    const todo: RunFile[] = claimed
      .filter((c) => c.status !== 'done')
      .map((c) => ({
        ...c,
        ...details.get(c.path)!,
        replicaPath: this.replicaPath(ctx, c),
      }));
    if (todo.length === 0) return;

    // What a run that died already did for pending files, and names someone else took.
    const state = new Map(
      (await hookRepository.catalogueState(this.dataSource.manager, ctx.rseId, todo)).map((s) => [`${s.scope}:${s.name}`, s]),
    );
    const release: RunFile[] = [];
    const needDid: RunFile[] = [];
    const needReplica: RunFile[] = [];
    const ready: RunFile[] = [];
    for (const file of todo) {
      const s = state.get(`${file.scope}:${file.name}`);
      const hasDid = Boolean(s?.didType);
      const hasReplica = Boolean(s?.replicaState);
      if (hasDid && (s!.didType !== 'F' || (s!.didBytes !== null && s!.didBytes !== file.size))) {
        log.fail(`${formatDid(file)} already exists and is not this file (${s!.didType !== 'F' ? 'not a file' : `${s!.didBytes} bytes, not ${file.size}`}); rename it with the hook's name template.`, { path: file.path, did: formatDid(file) });
        if (file.status === 'new') release.push(file);
        continue;
      }
      if (hasDid && file.status === 'new' && !hasReplica) {
        log.fail(`${formatDid(file)} is already registered (by someone else): not registering it again.`, { path: file.path, did: formatDid(file) });
        release.push(file);
        continue;
      }
      if (spec.source.kind === 'rse' && ctx.info.deterministic && !hasReplica) {
        const expected = deterministicPath(file.scope, file.name, String(ctx.info.lfn2pfn_algorithm ?? 'hash'));
        if (expected !== file.replicaPath) {
          log.fail(
            `File '${file.replicaPath}' on the deterministic RSE ${spec.target.rse} is not where ${formatDid(file)} belongs (${expected}). ` +
              'Register files in place on a non-deterministic RSE, or use a drop-box hook to upload them.',
            { path: file.path, did: formatDid(file) },
          );
          if (file.status === 'new' && !hasDid) release.push(file);
          continue;
        }
      }
      if (!hasDid) needDid.push(file);
      if (!hasReplica) needReplica.push(file);
      else ready.push(file);
    }
    if (release.length > 0) await unitOfWork(this.dataSource, { what: `files of hook '${hook.name}'` }, (m) => hookRepository.release(m, hook.id, release.map(keyOf)));

    const replicaDone = new Set<RunFile>(ready);
    let placed = needReplica;
    if (spec.source.kind === 'dropbox') placed = await this.upload(ctx, needReplica);
    else if (spec.checksum !== 'registrar') placed = await this.checksums(ctx, needReplica);
    const isPlaced = new Set(placed);
    const needsDid = new Set(needDid);
    const giveBack = needReplica.filter((f) => !isPlaced.has(f) && needsDid.has(f));

    // File DIDs (created with their metadata by the registration itself) and replicas: one call, one transaction
    // per batch; the registrar verifies the replicas on storage before they are AVAILABLE.
    const creates = new Set(needDid);
    const registered = await bisect(
      placed,
      async (part) => {
        await this.replicas.addReplicas(
          issuer,
          spec.target.rse,
          part.map((f) => ({
            scope: f.scope,
            name: f.name,
            bytes: f.size,
            adler32: f.adler32 ?? null,
            md5: f.md5 ?? null,
            ...(creates.has(f) ? { meta: f.meta } : {}),
            ...(ctx.info.deterministic ? {} : { path: f.replicaPath }),
          })),
          { createMissingFiles: true },
        );
      },
      (f, error) => {
        log.fail(error, { path: f.path, did: formatDid(f) });
        // Nothing was written for it: a file without its DID is given back for a later run.
        if (creates.has(f)) giveBack.push(f);
      },
    );
    for (const f of registered) replicaDone.add(f);
    if (giveBack.length > 0) await unitOfWork(this.dataSource, { what: `files of hook '${hook.name}'` }, (m) => hookRepository.release(m, hook.id, giveBack.map(keyOf)));

    // Datasets, then attachment (files already attached are skipped) with the files' final state in the same
    // transaction, then rules on the datasets the hook made.
    const finalState = spec.source.kind === 'dropbox' ? 'R' : 'D';
    const done: RunFile[] = [];
    const byDataset = new Map<string, RunFile[]>();
    const plain: RunFile[] = [];
    for (const f of todo) {
      if (!replicaDone.has(f)) continue;
      if (!f.dataset) plain.push(f);
      else {
        const files = byDataset.get(f.dataset);
        if (files) files.push(f);
        else byDataset.set(f.dataset, [f]);
      }
    }
    if (plain.length > 0) {
      await unitOfWork(this.dataSource, { what: `files of hook '${hook.name}'` }, (m) => hookRepository.setState(m, hook.id, plain.map(keyOf), finalState));
      done.push(...plain);
    }
    for (const [dataset, files] of byDataset) {
      try {
        const fresh = await this.ensureDataset(ctx, dataset, files[0].meta);
        await unitOfWork(this.dataSource, { what: `attachment to ${spec.target.scope}:${dataset}` }, async (m) => {
          await attachInTransaction(
            m,
            this.permissions,
            issuer,
            [{ scope: spec.target.scope, name: dataset, dids: files.map((f) => ({ scope: f.scope, name: f.name })) }],
            { ignoreDuplicate: true },
          );
          await hookRepository.setState(m, hook.id, files.map(keyOf), finalState);
        });
        done.push(...files);
        if (fresh) await this.applyRules(ctx, dataset);
      } catch (error) {
        if (!(error instanceof TarnError)) throw error;
        for (const f of files) log.fail(error, { path: f.path, did: formatDid(f) });
      }
    }
    log.totals.filesRegistered += done.length;
    log.totals.bytesRegistered += done.reduce((sum, f) => sum + f.size, 0);
  }

  /** Where the replica is: the listed path (zero-copy) or, for uploads, where the deterministic algorithm puts it. */
  private replicaPath(ctx: BatchContext, file: ClaimedFile): string {
    const { spec, info } = ctx;
    const algorithm = String(info.lfn2pfn_algorithm ?? 'hash');
    if (spec.source.kind === 'dropbox') return deterministicPath(file.scope, file.name, info.deterministic ? algorithm : 'hash');
    const prefix = spec.source.prefix ? spec.source.prefix.replace(/\/?$/, '/') : '';
    return `${prefix}${file.path}`;
  }

  /** Uploads drop-box files to the target RSE, with adler32 computed on the way; the failed ones are logged. */
  private async upload(ctx: BatchContext, files: RunFile[]): Promise<RunFile[]> {
    const { spec, target, log } = ctx;
    const directory = spec.source.kind === 'dropbox' ? spec.source.directory : '';
    const done = await mapBounded(files, ctx.concurrency, async (file) => {
      try {
        const local = ctx.source;
        const stream = await local.read(file.path);
        const result = await target.write(file.replicaPath, stream, { bytes: file.size, algorithms: ['adler32'] });
        file.adler32 = result.adler32 ?? null;
        return file;
      } catch (error) {
        log.fail(error, { path: join(directory, file.path), did: formatDid(file) });
        return null;
      }
    });
    return done.filter((f): f is RunFile => f !== null);
  }

  /** Zero-copy with checksum policy compute (read the file) or storage (what the storage reports). */
  private async checksums(ctx: BatchContext, files: RunFile[]): Promise<RunFile[]> {
    const { spec, source, log } = ctx;
    const done = await mapBounded(files, ctx.concurrency, async (file) => {
      try {
        if (spec.checksum === 'compute') {
          const result = await checksumStream(await source.read(file.replicaPath), ['adler32']);
          file.adler32 = result.adler32 ?? null;
        } else {
          const { checksums } = await source.stat(file.replicaPath);
          file.adler32 = checksums?.adler32 ?? null;
          file.md5 = checksums?.md5 ?? null;
        }
        return file;
      } catch (error) {
        log.fail(error, { path: file.path, did: formatDid(file) });
        return null;
      }
    });
    return done.filter((f): f is RunFile => f !== null);
  }

  /**
   * Makes sure the dataset exists. True when the hook created it (now, or in a run that died before its rules):
   * those get the hook's rules. A dataset that existed before the hook gets none.
   */
  private async ensureDataset(ctx: BatchContext, dataset: string, meta: Record<string, unknown>): Promise<boolean> {
    const { hook, spec, issuer, log } = ctx;
    const scope = spec.target.scope;
    const known = (await hookRepository.datasets(this.dataSource.manager, hook.id, scope, [dataset])).get(dataset);
    if (known === 'R' || known === 'E') return false;
    const [existing] = await hookRepository.catalogueState(this.dataSource.manager, ctx.rseId, [{ scope, name: dataset }]);
    if (!known && existing.didType) {
      await hookRepository.setDataset(this.dataSource.manager, hook.id, scope, dataset, 'E');
      return false;
    }
    if (!known) await hookRepository.setDataset(this.dataSource.manager, hook.id, scope, dataset, 'N');
    if (!existing.didType) {
      try {
        await this.dids.addDids(issuer, [{ scope, name: dataset, type: 'DATASET', meta }]);
        log.totals.datasetsCreated++;
      } catch (error) {
        if (!(error instanceof Duplicate)) throw error;
      }
    }
    return true;
  }

  private async applyRules(ctx: BatchContext, dataset: string): Promise<void> {
    const { hook, spec, issuer, log } = ctx;
    const did = { scope: spec.target.scope, name: dataset };
    for (const rule of ruleSpecs(spec.rules, did, hook.account, { comment: `hook ${hook.name}` })) {
      try {
        log.totals.rulesCreated += (await this.rules.addRules(issuer, rule)).length;
      } catch (error) {
        if (!(error instanceof Duplicate)) log.fail(error, { did: formatDid(did) }, false);
      }
    }
    await hookRepository.setDataset(this.dataSource.manager, hook.id, did.scope, did.name, 'R');
  }

  /**
   * Drop-box files whose replica the registrar verified (AVAILABLE): the local file goes if the hook says so (and
   * it is still the file that was uploaded), and the file is done. A BAD replica keeps its source and is reported.
   */
  private async settleDropbox(hook: HookRecord, spec: HookSpec, rseId: string, log: RunLog): Promise<void> {
    if (spec.source.kind !== 'dropbox') return;
    const directory = spec.source.directory;
    for (;;) {
      const rows = await hookRepository.registeredWithReplicaState(this.dataSource.manager, hook.id, rseId, 1000);
      const settled: IngestFileKey[] = [];
      for (const row of rows) {
        if (row.replicaState === ReplicaState.AVAILABLE) {
          if (spec.after.removeSource) {
            const local = join(directory, row.path);
            const current = await stat(local).catch(() => null);
            if (current && current.size === row.size && Math.abs(current.mtimeMs - row.mtimeMs) < 1) {
              await unlink(local);
              log.totals.sourcesRemoved++;
            }
          }
          settled.push(keyOf(row));
        } else if (row.replicaState === ReplicaState.BAD) {
          log.fail(`The replica of ${formatDid(row)} on ${spec.target.rse} is BAD (the check on storage failed); its drop-box file ${row.path} is kept.`, {
            path: row.path,
            did: formatDid(row),
          }, false);
        }
      }
      if (settled.length > 0) await unitOfWork(this.dataSource, { what: `files of hook '${hook.name}'` }, (m) => hookRepository.setState(m, hook.id, settled, 'D'));
      if (rows.length < 1000 || settled.length === 0) return;
    }
  }
}

interface BatchContext {
  hook: HookRecord;
  spec: HookSpec;
  issuer: Issuer;
  info: RseInfo;
  rseId: string;
  runId: string;
  log: RunLog;
  source: StorageProtocol;
  target: StorageProtocol;
  concurrency: number;
  runDate: Date;
}
