import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Conflict, DidType, Duplicate, Forbidden, InvalidInput, normalizeGuid, NotFound, validateDid, validateScope, wildcardPattern } from '@tarn/domain';
import { sqlState, unitOfWork } from '@tarn/catalogue';
import { findAccount } from '@tarn/catalogue/repositories/account.repository.js';
import {
  type ContentHistoryRow,
  type ContentRow,
  type ParentRow,
  hasContentHistory,
  openContentCursor,
  openContentHistoryCursor,
  openTreeCursor,
  type TreeRow,
  openParentCursor,
} from '@tarn/catalogue/repositories/content.repository.js';
import {
  closeDid,
  type DidRow,
  type FileRow,
  findByGuid,
  findDid,
  sampleFiles,
  findTakenDidNames,
  insertDids,
  type NewDidRow,
  openFilesCursor,
  reopenDid,
  resolveDidTotals,
} from '@tarn/catalogue/repositories/did.repository.js';
import { mergeDidMeta } from '@tarn/catalogue/repositories/did-meta.repository.js';
import { appendEvents, filesCreatedEvents, tarnEvent } from '@tarn/events';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { attachInTransaction, detachInTransaction } from './did-attachment.js';
import { newDidRow, parseDidType, validateMeta } from './did-validation.js';
import { didView } from './did.views.js';
import type {
  AddDidsOptions,
  Attachment,
  AttachOptions,
  AttachResult,
  DetachResult,
  DidRef,
  DidStatus,
  DidView,
  GetDidOptions,
  ListOptions,
  NewDid,
} from './did.types.js';
import { openRowStream, type RowStream } from './row-stream.js';

/** At most this many files in a sample (create_did_sample). */
export const MAX_SAMPLE_FILES = 100_000;

const keyOf = (scope: string, name: string) => `${scope}:${name}`;

function targetsOf(attachments: Attachment[]): string {
  if (!Array.isArray(attachments) || attachments.length === 0) {
    throw new InvalidInput('Nothing to attach or detach: give a list of {scope, name, dids}.', { rucioClass: 'InvalidObject' });
  }
  return attachments.length === 1 ? keyOf(attachments[0]?.scope, attachments[0]?.name) : `${attachments.length} collections`;
}

function unsupported(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'UnsupportedOperation', details });
}

/** The namespace: registering DIDs, their content (attach/detach), open/closed status, and reading them. */
@Injectable()
export class DidService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /**
   * Registers files, datasets and containers in one unit of work (one INSERT for all), with their metadata, the
   * content of new collections (`children`) and optionally attaching them all to an existing `parent`.
   */
  async addDids(issuer: Issuer, dids: NewDid[], options: AddDidsOptions = {}): Promise<{ created: number; attached: number }> {
    if (!Array.isArray(dids) || dids.length === 0) throw new InvalidInput('No DIDs to register: give at least one.');
    const now = new Date();
    const rows: NewDidRow[] = dids.map((d) => newDidRow(d, d?.account ?? issuer.account, now));
    const metas = dids.map((d, i) => ({ scope: rows[i].scope, name: rows[i].name, meta: validateMeta(d.meta, keyOf(d.scope, d.name)) }));
    const seen = new Set<string>();
    for (const row of rows) {
      const key = keyOf(row.scope, row.name);
      if (seen.has(key)) throw Duplicate.did(row.scope, row.name);
      seen.add(key);
    }
    const owners = [...new Set(rows.map((r) => r.account))].filter((a) => a !== issuer.account);
    if (owners.length > 0 && !issuer.admin) {
      throw new Forbidden(`Account '${issuer.account}' may not register DIDs owned by '${owners[0]}': only administrators may.`);
    }
    const scopes = [...new Set(rows.map((r) => r.scope))];
    const what = rows.length === 1 ? `DID ${keyOf(rows[0].scope, rows[0].name)}` : `registration of ${rows.length} DIDs in ${scopes.join(', ')}`;

    return unitOfWork(this.dataSource, { what }, async (manager) => {
      for (const owner of owners) if (!(await findAccount(manager, owner))) throw NotFound.account(owner);
      await this.permissions.assertCanWriteScopes(manager, issuer, scopes);
      await this.assertNamesFree(manager, rows);
      if ((await this.insertNewDids(manager, rows)) < rows.length) await this.assertNamesFree(manager, rows);
      await mergeDidMeta(manager, metas);
      await appendEvents(manager, [
        ...rows
          .filter((r) => r.didType !== DidType.FILE)
          .map((r) => tarnEvent('did.created', { scope: r.scope, name: r.name, didType: r.didType, account: r.account, bytes: r.bytes })),
        ...filesCreatedEvents(rows.filter((r) => r.didType === DidType.FILE)),
      ]);
      const attachments: Attachment[] = dids
        .filter((d) => Array.isArray(d.children) && d.children.length > 0)
        .map((d) => ({ scope: d.scope, name: d.name, dids: d.children! }));
      if (options.parent) attachments.push({ ...options.parent, dids: rows.map((r) => ({ scope: r.scope, name: r.name })) });
      const attached = await attachInTransaction(manager, this.permissions, issuer, attachments, { ignoreDuplicate: options.ignoreDuplicate });
      return { created: rows.length, attached };
    });
  }

  /** Inserts; a name a concurrent writer took in the meantime becomes the same Duplicate.did as a checked one. */
  private async insertNewDids(manager: EntityManager, rows: NewDidRow[]): Promise<number> {
    try {
      return await insertDids(manager, rows);
    } catch (error) {
      const detail = (error as { driverError?: { detail?: string } }).driverError?.detail ?? '';
      const key = /^Key \(scope, name\)=\(([^,]+), (.*)\) already exists/.exec(detail);
      if (sqlState(error) === '23505' && key) throw Duplicate.did(key[1], key[2]);
      throw error;
    }
  }

  private async assertNamesFree(manager: EntityManager, rows: DidRef[]): Promise<void> {
    const taken = await findTakenDidNames(manager, rows);
    if (taken.length > 0) {
      const error = Duplicate.did(taken[0].scope, taken[0].name);
      if (taken.length > 1) error.details.alsoTaken = taken.length - 1;
      throw error;
    }
  }

  /**
   * Attaches DIDs to collections (Rucio's attach_dids_to_dids): files to open datasets, datasets or containers to
   * open containers. A child already attached raises DuplicateContent unless `ignoreDuplicate`.
   */
  async attach(issuer: Issuer, attachments: Attachment[], options: AttachOptions = {}): Promise<AttachResult> {
    const what = `attachment to ${targetsOf(attachments)}`;
    const attached = await unitOfWork(this.dataSource, { what }, (manager) =>
      attachInTransaction(manager, this.permissions, issuer, attachments, options),
    );
    return { attached };
  }

  async detach(issuer: Issuer, attachments: Attachment[]): Promise<DetachResult> {
    const what = `detachment from ${targetsOf(attachments)}`;
    const detached = await unitOfWork(this.dataSource, { what }, (manager) => detachInTransaction(manager, this.permissions, issuer, attachments));
    return { detached };
  }

  /**
   * Closes (`open: false`, stamping closed_at and freezing the totals) or reopens (administrators only) a dataset
   * or container, as Rucio's set_status.
   */
  async setStatus(issuer: Issuer, scope: string, name: string, status: { open: boolean }): Promise<DidStatus> {
    validateDid({ scope, name });
    if (typeof status?.open !== 'boolean') {
      throw new InvalidInput(`Invalid status for ${keyOf(scope, name)}: only 'open' (true or false) can be set.`, {
        rucioClass: 'UnsupportedStatus',
      });
    }
    if (status.open) this.permissions.assertAdmin(issuer, `reopen ${keyOf(scope, name)}`);
    return unitOfWork(this.dataSource, { what: `status of ${keyOf(scope, name)}` }, async (manager) => {
      await this.permissions.assertCanWriteScopes(manager, issuer, [scope]);
      const did = await findDid(manager, scope, name, { lock: true });
      if (!did) throw NotFound.did(scope, name);
      // Rucio answers a status that cannot change with 409 UnsupportedOperation.
      if (did.didType === DidType.FILE) {
        throw new Conflict(`${keyOf(scope, name)} is a file: only datasets and containers are opened and closed.`, { details: { scope, name } });
      }
      if (did.isOpen === status.open) {
        throw new Conflict(`${keyOf(scope, name)} is already ${status.open ? 'open' : 'closed'}.`, { details: { scope, name } });
      }
      const updated = status.open ? await reopenDid(manager, scope, name) : await closeDid(manager, scope, name);
      if (!updated) throw new Conflict(`The status of ${keyOf(scope, name)} cannot be changed.`, { details: { scope, name } });
      if (!status.open) await appendEvents(manager, [tarnEvent('did.closed', { scope, name })]);
      return { scope, name, type: updated.didType, open: updated.isOpen, closedAt: updated.closedAt };
    });
  }

  async close(issuer: Issuer, scope: string, name: string): Promise<DidStatus> {
    return this.setStatus(issuer, scope, name, { open: false });
  }

  /** Rucio's get_did: the DID's properties; `dynamicDepth` computes a collection's totals from its content. */
  async get(issuer: Issuer, scope: string, name: string, options: GetDidOptions = {}): Promise<DidView> {
    validateDid({ scope, name });
    const depth = options.dynamicDepth ? parseDidType(options.dynamicDepth) : null;
    return unitOfWork(this.dataSource, { what: `DID ${keyOf(scope, name)}` }, async (manager) => {
      const did = await this.readableDid(manager, issuer, scope, name);
      const view = didView(did);
      const dynamic =
        (did.didType === DidType.DATASET && depth === DidType.FILE) ||
        (did.didType === DidType.CONTAINER && (depth === DidType.FILE || depth === DidType.DATASET));
      if (dynamic) {
        const totals = await resolveDidTotals(manager, scope, name, depth as DidType.FILE | DidType.DATASET);
        view.bytes = totals.bytes;
        view.length = totals.length;
        view.events = totals.events;
      }
      return view;
    });
  }

  async status(issuer: Issuer, scope: string, name: string): Promise<DidStatus> {
    const view = await this.get(issuer, scope, name);
    return { scope, name, type: view.type, open: view.open, closedAt: view.closedAt };
  }

  /** The direct children of a collection (Rucio's list_content), streamed from a cursor. */
  async listContent(issuer: Issuer, scope: string, name: string, options: ListOptions = {}): Promise<RowStream<ContentRow>> {
    validateDid({ scope, name });
    return openRowStream(this.dataSource, `content of ${keyOf(scope, name)}`, async (manager) => {
      await this.readableDid(manager, issuer, scope, name);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      return openContentCursor(manager, scope, name, { excludeScopes, batchSize: options.batchSize });
    });
  }

  /**
   * Rucio's create_did_sample: a new dataset `output` holding `count` files picked at random below the collection
   * `input`, in one transaction. The issuer must be able to read `input` and to write in the output's scope.
   */
  async createSample(issuer: Issuer, input: DidRef, output: DidRef, count: number): Promise<number> {
    validateDid(input);
    validateDid(output);
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SAMPLE_FILES) {
      throw new InvalidInput(`A sample holds 1 to ${MAX_SAMPLE_FILES} files, not ${JSON.stringify(count)}.`, { rucioClass: 'InputValidationError' });
    }
    const picked = await unitOfWork(this.dataSource, { what: `sample of ${keyOf(input.scope, input.name)}` }, async (manager) => {
      const did = await this.readableDid(manager, issuer, input.scope, input.name);
      if (did.didType === DidType.FILE) {
        throw new InvalidInput(`${keyOf(input.scope, input.name)} is a file: sample a dataset or a container.`, { rucioClass: 'UnsupportedOperation' });
      }
      return sampleFiles(manager, input.scope, input.name, count, await this.permissions.unreadableScopes(manager, issuer));
    });
    await this.addDids(issuer, [{ scope: output.scope, name: output.name, type: 'DATASET', children: picked }]);
    return picked.length;
  }

  /**
   * Rucio's scope_list: the DIDs of a scope matching `name` ('*' wildcards; none: the DIDs attached to no collection),
   * with `recursive` each followed by everything below it (depth-first, with the collection it was reached from and
   * its depth), streamed from a cursor.
   */
  async listTree(issuer: Issuer, scope: string, options: { name?: string | null; recursive?: boolean } = {}): Promise<RowStream<TreeRow>> {
    validateScope(scope);
    return openRowStream(this.dataSource, `DIDs of scope ${scope}`, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const pattern = options.name ? wildcardPattern(options.name) : null;
      return openTreeCursor(manager, scope, pattern, { recursive: options.recursive === true, excludeScopes });
    });
  }

  /**
   * The datasets holding the file with this GUID (Rucio's get_dataset_by_guid). No readable file has it:
   * DataIdentifierNotFound.
   */
  async datasetsByGuid(issuer: Issuer, guid: string): Promise<DidRef[]> {
    const normalized = normalizeGuid(guid);
    if (!normalized) throw new InvalidInput(`'${guid}' is not a GUID: give 32 hexadecimal digits (dashes allowed).`, { rucioClass: 'InvalidObject' });
    return unitOfWork(this.dataSource, { what: `GUID ${guid}` }, async (manager) => {
      const { files, parents } = await findByGuid(manager, normalized, []);
      await this.permissions.assertCanReadScopes(manager, issuer, files.map((f) => f.scope));
      if (files.length === 0) {
        throw new NotFound(`No file has the GUID ${guid}. Check it (rucio did show <scope>:<name> shows a file's GUID).`, {
          rucioClass: 'DataIdentifierNotFound',
          details: { guid },
        });
      }
      const hidden = new Set(await this.permissions.unreadableScopes(manager, issuer));
      return parents.filter((p) => !hidden.has(p.scope));
    });
  }

  /**
   * What was detached from a collection, or went with it (Rucio's list_content_history), oldest first. The
   * collection may be gone: its history stays.
   */
  async listContentHistory(issuer: Issuer, scope: string, name: string, options: ListOptions = {}): Promise<RowStream<ContentHistoryRow>> {
    validateDid({ scope, name });
    return openRowStream(this.dataSource, `content history of ${keyOf(scope, name)}`, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
      const known = (await findDid(manager, scope, name)) !== null || (await hasContentHistory(manager, scope, name));
      if (!known) throw NotFound.did(scope, name);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      return openContentHistoryCursor(manager, scope, name, { excludeScopes, batchSize: options.batchSize });
    });
  }

  /** Every distinct file below a DID (Rucio's list_files; a file lists itself), streamed from a cursor. */
  async listFiles(issuer: Issuer, scope: string, name: string, options: ListOptions = {}): Promise<RowStream<FileRow>> {
    validateDid({ scope, name });
    return openRowStream(this.dataSource, `files of ${keyOf(scope, name)}`, async (manager) => {
      const did = await this.readableDid(manager, issuer, scope, name);
      if (did.didType === DidType.FILE) {
        const { bytes, adler32, md5, xxh64, guid, events } = did;
        const file: FileRow = { scope, name, bytes, adler32, md5, xxh64, guid, events };
        return (async function* one() {
          yield [file];
        })();
      }
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      return openFilesCursor(manager, scope, name, { excludeScopes, batchSize: options.batchSize });
    });
  }

  /** The datasets and containers a DID is directly attached to (Rucio's list_parent_dids). */
  async listParents(issuer: Issuer, scope: string, name: string, options: ListOptions = {}): Promise<RowStream<ParentRow>> {
    validateDid({ scope, name });
    return openRowStream(this.dataSource, `parents of ${keyOf(scope, name)}`, async (manager) => {
      await this.readableDid(manager, issuer, scope, name);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      return openParentCursor(manager, scope, name, { excludeScopes, batchSize: options.batchSize });
    });
  }

  private async readableDid(manager: EntityManager, issuer: Issuer, scope: string, name: string): Promise<DidRow> {
    await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
    const did = await findDid(manager, scope, name);
    if (!did) throw NotFound.did(scope, name);
    return did;
  }
}
