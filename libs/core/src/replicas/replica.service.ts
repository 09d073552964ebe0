import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  BadReplicaState,
  deterministicOwners,
  deterministicPath,
  DidType,
  Duplicate,
  EPOCH_TOMBSTONE,
  formatBytes,
  Forbidden,
  formatDid,
  InvalidInput,
  NotFound,
  ReplicaState,
  scopeDirectory,
  storagePathOf,
} from '@tarn/domain';
import { appendEvents, beginOutboxWrites, FILES_PER_EVENT, outboxColumns, tarnEvent } from '@tarn/events';
import { unitOfWork } from '@tarn/catalogue';
import { findDids, openCursor } from '@tarn/catalogue/repositories/did.repository.js';
import { mergeDidMeta } from '@tarn/catalogue/repositories/did-meta.repository.js';
import { listAncestors } from '@tarn/catalogue/repositories/did-ancestors.repository.js';
import { badReplicaRepository, type BadReplicaDeclaration, type SuspiciousReplica } from '@tarn/catalogue/repositories/bad-replica.repository.js';
import { findLiveRseByName } from '@tarn/catalogue/repositories/rse.repository.js';
import {
  RegisteredReplica,
  RegistrationMisfit,
  ReplicaKey,
  ReplicaListRow,
  replicaRepository,
  ReplicaRseInfo,
  sortReplicaKeys,
} from '@tarn/catalogue/repositories/replica.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { openRowStream, RowStream } from '../dids/row-stream.js';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import { replicaVerificationRepository } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { parseReplicaState, validReplicaFiles } from './replica-input.js';
import { refreshLockReasons } from '../rules/lock-reasons.js';
import { uploadTimeoutSeconds } from './upload-timeout.js';
import { SUSPICIOUS_WINDOW_MS } from './corrupt-replicas.js';
import { pathFromPfn, replicaPath, replicaPfns } from './replica-paths.js';
import type {
  AddReplicasOptions,
  AddReplicasResult,
  FileReplicas,
  ListReplicasOptions,
  ReplicaFileInput,
  ReplicaRef,
  ReplicaStateChange,
  TouchedReplica,
} from './replica.types.js';

function assertDeclarationReason(reason: unknown, what: 'bad' | 'suspicious' | 'temporarily unavailable'): void {
  if (reason !== null && reason !== undefined && (typeof reason !== 'string' || reason.length > 255)) {
    throw new InvalidInput(`The reason for declaring replicas ${what} is a text of at most 255 characters.`, { rucioClass: 'InputValidationError' });
  }
}

/** Why a replica does not fit its file DID, as an error naming the file and what differs. */
function misfitError(misfit: RegistrationMisfit, rse: string, createMissingFiles: boolean): Error {
  const { file } = misfit;
  const did = formatDid(file);
  if (misfit.didType === null) {
    return new NotFound(
      `Cannot register a replica of ${did} on RSE '${rse}': the file is not registered. Register the file first` +
        `${createMissingFiles ? '' : ', or ask for missing files to be created'}.`,
      { rucioClass: 'DataIdentifierNotFound', details: { scope: file.scope, name: file.name, rse } },
    );
  }
  if (misfit.didType !== DidType.FILE) {
    return new InvalidInput(`Cannot register a replica of ${did} on RSE '${rse}': it is a ${misfit.didType === DidType.DATASET ? 'dataset' : 'container'}, and only files have replicas.`, {
      rucioClass: 'UnsupportedDIDType',
      details: { did, rse },
    });
  }
  if (misfit.didBytes !== null && misfit.didBytes !== file.bytes) {
    return new InvalidInput(
      `The replica of ${did} on RSE '${rse}' has ${file.bytes} bytes (${formatBytes(file.bytes)}), but the file is registered with ` +
        `${misfit.didBytes} bytes (${formatBytes(misfit.didBytes)}). Check the file on the storage; a different content needs another name.`,
      { rucioClass: 'InvalidObject', details: { did, rse, bytes: file.bytes, didBytes: misfit.didBytes } },
    );
  }
  for (const [key, given, registered] of [
    ['adler32', file.adler32, misfit.didAdler32],
    ['md5', file.md5, misfit.didMd5],
    ['xxh64', file.xxh64, misfit.didXxh64],
  ] as const) {
    if (given && registered && given.toLowerCase() !== registered.toLowerCase()) {
      return new InvalidInput(
        `The replica of ${did} on RSE '${rse}' has ${key} ${given}, but the file is registered with ${key} ${registered}. ` +
          'Check the file on the storage; a different content needs another name.',
        { rucioClass: 'InvalidObject', details: { did, rse, [key]: given, [`did_${key}`]: registered } },
      );
    }
  }
  return new InvalidInput(`The replica of ${did} on RSE '${rse}' does not fit the registered file.`, { rucioClass: 'InvalidObject', details: { did, rse } });
}

/**
 * File replicas: bulk registration (one statement per batch), listing with PFNs per protocol, state
 * changes, bad replica declarations, tombstones and access times.
 */
@Injectable()
export class ReplicaService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  private async requireRse(manager: EntityManager, rse: string): Promise<ReplicaRseInfo> {
    const [info] = await replicaRepository.rseInfo(manager, [rse]);
    if (!info) throw NotFound.rse(rse);
    return info;
  }

  /** RSE ids of the named RSEs (NotFound for an unknown one). */
  private async rseIds(manager: EntityManager, names: readonly string[], options: { skipMissing?: boolean } = {}): Promise<Map<string, ReplicaRseInfo>> {
    const wanted = [...new Set(names)];
    const found = new Map((await replicaRepository.rseInfo(manager, wanted)).map((r) => [r.rse, r]));
    if (!options.skipMissing) for (const name of wanted) if (!found.has(name)) throw NotFound.rse(name);
    return found;
  }

  private async keysOf(manager: EntityManager, refs: readonly ReplicaRef[], what: string): Promise<Array<ReplicaKey & { rse: string }>> {
    if (!Array.isArray(refs) || refs.length === 0) throw new InvalidInput(`Give at least one replica (scope, name, rse) to ${what}.`, { rucioClass: 'InputValidationError' });
    const rses = await this.rseIds(manager, refs.map((r) => r.rse));
    return refs.map((r) => ({ scope: r.scope, name: r.name, rse: r.rse, rseId: rses.get(r.rse)!.id }));
  }

  /** The replicas among `keys` that do not exist: NotFound naming the first ones. */
  private async requireReplicas(manager: EntityManager, keys: ReadonlyArray<ReplicaKey & { rse: string }>) {
    const found = await replicaRepository.find(manager, keys);
    const have = new Set(found.map((r) => `${r.scope}:${r.name}@${r.rseId}`));
    const missing = keys.filter((k) => !have.has(`${k.scope}:${k.name}@${k.rseId}`));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).map((m) => `${formatDid(m)} on ${m.rse}`).join(', ');
      throw new NotFound(`No replica of ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}. List the file's replicas to see where it is.`, {
        rucioClass: 'ReplicaNotFound',
        details: { missing: missing.slice(0, 20).map((m) => ({ scope: m.scope, name: m.name, rse: m.rse })) },
      });
    }
    return found;
  }

  /**
   * Registers replicas of files on one RSE (Rucio's add_replicas), one statement for the batch. The files
   * must exist with the same size (and checksums, where both are known) unless `createMissingFiles`, which
   * creates them in the same statement. A replica registered AVAILABLE (the default) is only announced: it is
   * COPYING until the replica-registrar has verified its size and checksum on the storage, then AVAILABLE
   * (satisfying the rule locks waiting for it), or BAD when they differ.
   */
  async addReplicas(issuer: Issuer, rse: string, files: ReplicaFileInput[], options: AddReplicasOptions = {}): Promise<AddReplicasResult> {
    const valid = validReplicaFiles(files, rse);
    return unitOfWork(this.dataSource, { what: `replicas on RSE '${rse}'` }, async (manager) => {
      const info = await this.requireRse(manager, rse);
      await this.permissions.assertCanWriteScopes(manager, issuer, valid.map((f) => f.scope));
      const rows: RegisteredReplica[] = valid.map((f) => {
        let path: string | null = null;
        if (!info.deterministic) {
          if (f.path) path = checkedPath(f.path, formatDid(f), rse);
          else if (f.pfn) path = checkedPath(pathFromPfn(info, f.pfn, formatDid(f)), formatDid(f), rse);
          else {
            throw new InvalidInput(
              `RSE '${rse}' is non-deterministic: the replica of ${formatDid(f)} needs its pfn or path, since its location cannot be computed.`,
              { rucioClass: 'InvalidPath', details: { did: formatDid(f), rse } },
            );
          }
        }
        return { scope: f.scope, name: f.name, bytes: f.bytes, adler32: f.adler32, md5: f.md5, xxh64: f.xxh64, path, state: f.state, guid: f.guid };
      });

      await this.assertMayHoldPaths(manager, issuer, info, rows);
      await beginOutboxWrites(manager);
      const result = await replicaRepository.register(manager, info, rows, {
        account: issuer.account,
        createMissingFiles: Boolean(options.createMissingFiles),
        tombstone: options.tombstone ?? null,
        filesCreated: outboxColumns('files.created'),
        filesPerEvent: FILES_PER_EVENT,
        announced: outboxColumns('replica.announced'),
        uploadTimeoutSeconds: await uploadTimeoutSeconds(manager),
      });
      if (result.misfit) {
        const misfit = result.misfit;
        if (misfit.didType === null && options.createMissingFiles) {
          const [reserved] = await replicaRepository.deletedNames(manager, [misfit.file]);
          if (reserved) throw Duplicate.did(reserved.scope, reserved.name);
        }
        throw misfitError(misfit, rse, Boolean(options.createMissingFiles));
      }
      await refreshLockReasons(manager, rows.map((r) => ({ scope: r.scope, name: r.name, rseId: info.id })));
      const metas = valid.filter((f) => f.meta !== null && Object.keys(f.meta).length > 0);
      if (metas.length > 0) await mergeDidMeta(manager, metas.map((f) => ({ scope: f.scope, name: f.name, meta: f.meta! })));
      if (result.registered < rows.length) {
        // The rows left alone are replicas already AVAILABLE or being deleted there.
        const existing = await replicaRepository.find(manager, rows.map((r) => ({ scope: r.scope, name: r.name, rseId: info.id })));
        const lost = existing.filter((r) => r.state === ReplicaState.AVAILABLE || r.state === ReplicaState.BEING_DELETED);
        const first = lost[0] ?? existing[0];
        const deleting = first?.state === ReplicaState.BEING_DELETED;
        const more = lost.length > 1 ? ` (and ${lost.length - 1} more of this batch)` : '';
        throw new Duplicate(
          `A replica of ${formatDid(first)} on RSE '${rse}' is ${deleting ? 'being deleted' : 'already AVAILABLE'}${more}. ` +
            `${deleting ? 'Register it again once the deletion is done.' : 'Leave it out: nothing to register.'}`,
          { rucioClass: 'FileReplicaAlreadyExists', details: { did: formatDid(first), rse, count: lost.length } },
        );
      }
      return { registered: result.registered, inserted: result.inserted, filesCreated: result.filesCreated, announced: result.announced };
    });
  }

  /**
   * A file on storage has one owner: an explicit path (a non-deterministic RSE's) is the administrators' to give,
   * or, where the RSE's attribute allow_user_paths is true, any writer's under its scope's directory; and a path
   * another replica holds is refused without saying whose it is (the schema's replicas_rse_path_uq backs this).
   */
  private async assertMayHoldPaths(manager: EntityManager, issuer: Issuer, info: ReplicaRseInfo, rows: readonly RegisteredReplica[]): Promise<void> {
    if (info.deterministic) return this.assertComputedPathsFree(manager, info, rows);
    const placed = rows.filter((r): r is RegisteredReplica & { path: string } => r.path !== null);
    if (placed.length === 0) return;
    if (!issuer.admin) {
      if (!info.allowUserPaths) {
        throw new Forbidden(
          `Account '${issuer.account}' may not register replicas at paths of its choosing on RSE '${info.rse}': only administrators may, ` +
            `unless the RSE allows it (RSE attribute ${ALLOW_USER_PATHS}=true). Ask an administrator, or upload to a deterministic RSE.`,
        );
      }
      const astray = placed.find((r) => !r.path.startsWith(scopeDirectory(r.scope)));
      if (astray) {
        throw new Forbidden(
          `The replica of ${formatDid(astray)} may be registered on RSE '${info.rse}' only under its scope's directory '${scopeDirectory(astray.scope)}', not at '${astray.path}'.`,
        );
      }
    }
    const paths = new Map<string, string>();
    for (const r of placed) {
      const other = paths.get(r.path);
      if (other && other !== formatDid(r)) {
        throw new InvalidInput(`${other} and ${formatDid(r)} are both registered at '${r.path}' on RSE '${info.rse}': each file has a path of its own.`, {
          rucioClass: 'InvalidPath',
        });
      }
      paths.set(r.path, formatDid(r));
    }
    const [held] = await replicaRepository.pathsHeldByOthers(manager, info.id, placed);
    if (held !== undefined) {
      throw new Duplicate(`RSE '${info.rse}' already holds a file at '${held}' for another replica: register ${paths.get(held)} at a path of its own.`, {
        rucioClass: 'Duplicate',
        details: { rse: info.rse, path: held },
      });
    }
  }

  /** On a deterministic RSE two files can have one path (scope directories nest): the second is refused. */
  private async assertComputedPathsFree(manager: EntityManager, info: ReplicaRseInfo, rows: readonly RegisteredReplica[]): Promise<void> {
    const algorithm = info.lfn2pfnAlgorithm ?? 'hash';
    const others = rows.flatMap((r) => {
      const path = deterministicPath(r.scope, r.name, algorithm);
      return deterministicOwners(path, algorithm)
        .filter((o) => o.scope !== r.scope || o.name !== r.name)
        .map((o) => ({ ...o, path, of: formatDid(r) }));
    });
    if (others.length === 0) return;
    const held = await replicaRepository.find(manager, others.map((o) => ({ scope: o.scope, name: o.name, rseId: info.id })));
    const taken = others.find((o) => held.some((h) => h.scope === o.scope && h.name === o.name));
    if (taken) {
      throw new Duplicate(`RSE '${info.rse}' already holds a file at '${taken.path}' for another replica, where ${taken.of} would go: choose another name for it.`, {
        rucioClass: 'Duplicate',
        details: { rse: info.rse, path: taken.path },
      });
    }
  }

  /**
   * The replicas of files, datasets and containers (resolved to their files), file by file, read through a
   * cursor: per RSE the state, path and a PFN per read protocol. Only AVAILABLE replicas unless allStates.
   * Files of restricted scopes the issuer may not read are left out, as in the DID listings.
   */
  async listReplicas(issuer: Issuer, dids: Array<{ scope: string; name: string }>, options: ListReplicasOptions = {}): Promise<RowStream<FileReplicas>> {
    if (!Array.isArray(dids) || dids.length === 0) throw new InvalidInput('Give at least one DID to list replicas of.', { rucioClass: 'InputValidationError' });
    return openRowStream(this.dataSource, `replicas of ${formatDid(dids[0])}${dids.length > 1 ? ` and ${dids.length - 1} more` : ''}`, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, dids.map((d) => d.scope));
      const existing = new Set((await findDids(manager, dids)).map((d) => formatDid(d)));
      const missing = dids.find((d) => !existing.has(formatDid(d)));
      if (missing) throw NotFound.did(missing.scope, missing.name);
      const rses = new Map((await replicaRepository.rseInfo(manager, null)).map((r) => [r.id, r]));
      const rseIds = options.rseExpression ? (await this.expressions.resolve(manager, options.rseExpression)).map((r) => r.id) : null;
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const { sql, params } = replicaRepository.listQuery(dids, { states: options.allStates ? null : [ReplicaState.AVAILABLE], rseIds, excludeScopes });
      const rows = await openCursor(manager, sql, params, { map: (row) => replicaRepository.toListRow(row as never) });
      const files = groupByFile(rows, (row, file) => {
        const rse = row.rseId ? rses.get(row.rseId) : undefined;
        if (!rse || !row.state) return;
        const path = replicaPath(rse, file.scope, file.name, row.path);
        file.replicas.push({
          rse: rse.rse,
          rseId: rse.id,
          state: row.state,
          path,
          pfns: replicaPfns(rse, path, options),
          lockCnt: row.lockCnt ?? 0,
          tombstone: row.tombstone,
          accessedAt: row.accessedAt,
        });
      });
      if (!options.resolveParents) return files;
      return withParents(manager, files, excludeScopes);
    });
  }

  /**
   * Sets replica states in bulk (Rucio update_replicas_states). AVAILABLE is a claim that the file is complete on
   * the storage (the stock client's upload says so): the replica is queued for the replica-registrar's check
   * and becomes AVAILABLE once verified; anyone who may write the scopes may claim it. Other states are for
   * administrators. Returns the number of replicas changed or queued.
   */
  async updateReplicaStates(issuer: Issuer, changes: ReplicaStateChange[]): Promise<number> {
    return unitOfWork(this.dataSource, { what: 'replica state change' }, async (manager) => {
      const keys = await this.keysOf(manager, changes, 'change the state of');
      const rows = keys.map((k, i) => {
        const state = parseReplicaState(String(changes[i].state), `${formatDid(k)} on ${k.rse}`);
        if (state === ReplicaState.BAD) {
          throw new InvalidInput(`Declare ${formatDid(k)} on ${k.rse} bad with declareBadReplicas (it records who and why), not by setting its state.`, {
            rucioClass: 'UnsupportedStatus',
          });
        }
        return { ...k, state };
      });
      const others = rows.filter((r) => r.state !== ReplicaState.AVAILABLE);
      if (others.length > 0) this.permissions.assertAdmin(issuer, 'change replica states');
      await this.permissions.assertCanWriteScopes(manager, issuer, rows.map((r) => r.scope));
      await this.requireReplicas(manager, keys);
      await replicaRepository.setStates(manager, sortReplicaKeys(others));
      const available = sortReplicaKeys(rows.filter((r) => r.state === ReplicaState.AVAILABLE));
      if (available.length > 0) {
        await beginOutboxWrites(manager);
        await replicaVerificationRepository.announce(manager, available, issuer.account, outboxColumns('replica.announced'));
      }
      await refreshLockReasons(manager, keys);
      return rows.length;
    });
  }

  /**
   * Declarations of bad, suspicious and lost replicas (Rucio list_bad_replicas_status), newest first, one page of at
   * most 1,000: administrators only (they name files of every scope).
   */
  async listBadReplicas(
    issuer: Issuer,
    filter: { state?: string; rse?: string; youngerThan?: Date; olderThan?: Date; limit?: number; offset?: number } = {},
  ): Promise<BadReplicaDeclaration[]> {
    this.permissions.assertAdmin(issuer, 'list bad replicas');
    const limit = filter.limit ?? 1000;
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidInput(`Bad replicas are listed 1 to 1,000 at a time from an offset of 0 or more, not limit ${limit} offset ${offset}.`, {
        rucioClass: 'InputValidationError',
      });
    }
    const states: Record<string, BadReplicaState> = { BAD: BadReplicaState.BAD, SUSPICIOUS: BadReplicaState.SUSPICIOUS, LOST: BadReplicaState.LOST };
    const letters = Object.values(BadReplicaState) as string[];
    const state = filter.state === undefined ? undefined : (states[filter.state.toUpperCase()] ?? (letters.includes(filter.state) ? (filter.state as BadReplicaState) : null));
    if (state === null) {
      throw new InvalidInput(`'${filter.state}' is not a bad replica state: use BAD, SUSPICIOUS or LOST.`, { rucioClass: 'InputValidationError' });
    }
    const manager = this.dataSource.manager;
    let rseId: string | undefined;
    if (filter.rse !== undefined) {
      const rse = await findLiveRseByName(manager, filter.rse);
      if (!rse) throw NotFound.rse(filter.rse);
      rseId = rse.id;
    }
    return badReplicaRepository.list(manager, { state, rseId, youngerThan: filter.youngerThan, olderThan: filter.olderThan, limit, offset });
  }

  /**
   * Replicas declared SUSPICIOUS (by a job that could not read them, or by a transfer that read bytes not matching
   * the catalogue from a file's only copy) more than `nattempts` (0) times since `youngerThan` (10 days ago), not declared BAD since, on the RSEs of
   * `rseExpression` (all when absent); files of restricted scopes the issuer may not read are left out.
   */
  async listSuspicious(issuer: Issuer, options: { rseExpression?: string; youngerThan?: Date; nattempts?: number } = {}): Promise<SuspiciousReplica[]> {
    const nattempts = options.nattempts ?? 0;
    if (!Number.isInteger(nattempts) || nattempts < 0) {
      throw new InvalidInput(`nattempts must be a whole number of declarations (0 or more), not ${String(options.nattempts)}.`, { rucioClass: 'InputValidationError' });
    }
    const manager = this.dataSource.manager;
    const rseIds = options.rseExpression ? (await this.expressions.resolve(manager, options.rseExpression)).map((r) => r.id) : null;
    return badReplicaRepository.suspicious(manager, {
      since: options.youngerThan ?? new Date(Date.now() - SUSPICIOUS_WINDOW_MS),
      minCount: nattempts,
      rseIds,
      excludeScopes: await this.permissions.unreadableScopes(manager, issuer),
    });
  }

  /**
   * Declares replicas suspicious (Rucio declare_suspicious_file_replicas: a job that could not read them), by any
   * account that may read their scopes: a SUSPICIOUS row each in bad_replicas; the replicas stay AVAILABLE.
   */
  async declareSuspiciousReplicas(issuer: Issuer, replicas: ReplicaRef[], reason: string | null): Promise<number> {
    assertDeclarationReason(reason, 'suspicious');
    return unitOfWork(this.dataSource, { what: 'suspicious replica declaration' }, async (manager) => {
      const keys = sortReplicaKeys(await this.keysOf(manager, replicas, 'declare suspicious'));
      await this.permissions.assertCanReadScopes(manager, issuer, keys.map((k) => k.scope));
      const found = await this.requireReplicas(manager, keys);
      await badReplicaRepository.insert(manager, found.map((r) => ({ scope: r.scope, name: r.name, rseId: r.rseId, bytes: r.bytes })), {
        account: issuer.account,
        reason: reason ?? null,
        state: BadReplicaState.SUSPICIOUS,
      });
      return found.length;
    });
  }

  /** Declares replicas bad (administrators): a bad_replicas row each, state BAD, replica.bad events. */
  async declareBadReplicas(issuer: Issuer, replicas: ReplicaRef[], reason: string | null): Promise<number> {
    this.permissions.assertAdmin(issuer, 'declare replicas bad');
    assertDeclarationReason(reason, 'bad');
    return unitOfWork(this.dataSource, { what: 'bad replica declaration' }, async (manager) => {
      const keys = sortReplicaKeys(await this.keysOf(manager, replicas, 'declare bad'));
      const found = await this.requireReplicas(manager, keys);
      await badReplicaRepository.insert(manager, found.map((r) => ({ scope: r.scope, name: r.name, rseId: r.rseId, bytes: r.bytes })), {
        account: issuer.account,
        reason: reason ?? null,
      });
      await replicaRepository.setStates(manager, keys.map((k) => ({ ...k, state: ReplicaState.BAD })));
      await appendEvents(
        manager,
        found.map((r) => tarnEvent('replica.bad', { scope: r.scope, name: r.name, rse: r.rse, rseId: r.rseId, reason: reason ?? null })),
      );
      return found.length;
    });
  }

  /**
   * Declares replicas temporarily unavailable (administrators; Rucio's add_bad_pfns with TEMPORARY_UNAVAILABLE): an
   * AVAILABLE replica becomes TEMPORARY_UNAVAILABLE, so that no transfer reads from it and no listing offers it,
   * until `expiresAt`, when the replica-registrar makes it AVAILABLE again. Returns the replicas declared; the
   * others (not AVAILABLE) are left as they are.
   */
  async declareTemporaryUnavailable(issuer: Issuer, replicas: ReplicaRef[], reason: string | null, expiresAt: Date | null): Promise<ReplicaRef[]> {
    this.permissions.assertAdmin(issuer, 'declare replicas temporarily unavailable');
    assertDeclarationReason(reason, 'temporarily unavailable');
    if (expiresAt !== null && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())) {
      throw new InvalidInput(`A temporary unavailability must end in the future, not at ${String(expiresAt)}.`, { rucioClass: 'InputValidationError' });
    }
    return unitOfWork(this.dataSource, { what: 'temporary unavailability' }, async (manager) => {
      const keys = sortReplicaKeys(await this.keysOf(manager, replicas, 'declare temporarily unavailable'));
      const found = await this.requireReplicas(manager, keys);
      const marked = await badReplicaRepository.markTemporaryUnavailable(manager, keys, { account: issuer.account, reason, expiresAt });
      const rseOf = new Map(found.map((r) => [r.rseId, r.rse]));
      return marked.map((m) => ({ scope: m.scope, name: m.name, rse: rseOf.get(m.rseId) ?? m.rseId }));
    });
  }

  /** Sets the tombstone of unlocked replicas (administrators); default the epoch: delete as soon as possible. */
  async setTombstones(issuer: Issuer, replicas: ReplicaRef[], tombstone: Date = EPOCH_TOMBSTONE): Promise<number> {
    this.permissions.assertAdmin(issuer, 'set replica tombstones');
    return unitOfWork(this.dataSource, { what: 'replica tombstones' }, async (manager) => {
      const keys = sortReplicaKeys(await this.keysOf(manager, replicas, 'set the tombstone of'));
      const found = await this.requireReplicas(manager, keys);
      const locked = found.filter((r) => r.lockCnt > 0);
      if (locked.length > 0) {
        throw new InvalidInput(
          `${locked.slice(0, 5).map((r) => `${formatDid(r)} on ${r.rse}`).join(', ')} ${locked.length === 1 ? 'is' : 'are'} locked by rules; ` +
            'a tombstone is only set on unlocked replicas. Delete or move the rules first.',
          { rucioClass: 'ReplicaIsLocked', details: { locked: locked.slice(0, 20).map((r) => ({ scope: r.scope, name: r.name, rse: r.rse })) } },
        );
      }
      return replicaRepository.setTombstones(manager, keys, tombstone);
    });
  }

  /** The replicas among these that exist (RSEs that do not exist name none), in one statement. */
  async existingReplicas(refs: readonly ReplicaRef[]): Promise<ReplicaRef[]> {
    if (refs.length === 0) return [];
    const manager = this.dataSource.manager;
    const rses = await this.rseIds(manager, [...new Set(refs.map((r) => r.rse))], { skipMissing: true });
    const keys = refs.flatMap((r) => (rses.has(r.rse) ? [{ scope: r.scope, name: r.name, rseId: rses.get(r.rse)!.id, rse: r.rse }] : []));
    const found = new Set((await replicaRepository.find(manager, keys)).map((r) => `${r.scope}:${r.name}@${r.rseId}`));
    return keys.filter((k) => found.has(`${k.scope}:${k.name}@${k.rseId}`)).map(({ scope, name, rse }) => ({ scope, name, rse }));
  }

  /** The DIDs among these that the issuer may read (restricted scopes it may not read left out). */
  async readableOnly<T extends { scope: string }>(issuer: Issuer, dids: T[]): Promise<T[]> {
    const hidden = new Set(await this.permissions.unreadableScopes(this.dataSource.manager, issuer));
    return hidden.size === 0 ? dids : dids.filter((d) => !hidden.has(d.scope));
  }

  /** Records that replicas were read (accessed_at, access_cnt of the replicas and their files). */
  async touchReplicas(issuer: Issuer, replicas: TouchedReplica[]): Promise<number> {
    return unitOfWork(this.dataSource, { what: 'replica access' }, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, replicas.map((r) => r.scope));
      const keys = await this.keysOf(manager, replicas, 'touch');
      const now = new Date();
      return replicaRepository.touch(manager, sortReplicaKeys(keys.map((k, i) => ({ ...k, accessedAt: replicas[i].accessedAt ?? now }))));
    });
  }
}

/** Adds each file's ancestors, one query per batch of files. */
async function* withParents(manager: EntityManager, batches: AsyncGenerator<FileReplicas[]>, excludeScopes: string[]): AsyncGenerator<FileReplicas[]> {
  for await (const batch of batches) {
    const ancestors = await listAncestors(manager, batch, { excludeScopes });
    for (const file of batch) file.parents = ancestors.get(formatDid(file)) ?? [];
    yield batch;
  }
}

/** Groups replica rows (ordered by file) into one record per file, across cursor batches. */
async function* groupByFile(
  batches: AsyncGenerator<ReplicaListRow[]>,
  addReplica: (row: ReplicaListRow, file: FileReplicas) => void,
): AsyncGenerator<FileReplicas[]> {
  let current: FileReplicas | null = null;
  for await (const batch of batches) {
    const done: FileReplicas[] = [];
    for (const row of batch) {
      if (!current || current.scope !== row.scope || current.name !== row.name) {
        if (current) done.push(current);
        current = { scope: row.scope, name: row.name, bytes: row.bytes, adler32: row.adler32, md5: row.md5, xxh64: row.xxh64, replicas: [] };
      }
      addReplica(row, current);
    }
    if (done.length > 0) yield done;
  }
  if (current) yield [current];
}

/** RSE attribute: accounts other than administrators may register replicas at explicit paths (under their scope's directory). */
export const ALLOW_USER_PATHS = 'allow_user_paths';

function checkedPath(path: string, did: string, rse: string): string {
  const checked = storagePathOf(path);
  if ('problem' in checked) {
    throw new InvalidInput(`The path ${JSON.stringify(path)} of ${did} on RSE '${rse}' is not usable: ${checked.problem}.`, {
      rucioClass: 'InvalidPath',
      details: { did, rse },
    });
  }
  return checked.path;
}
