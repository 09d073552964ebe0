import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { expiryFromLifetime, InvalidInput, NotFound, validateDid, validateScope } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findDids, setDidExpiry } from '@tarn/catalogue/repositories/did.repository.js';
import {
  deleteDidMetaKey,
  type DidSearchRow,
  getDidMeta,
  getDidMetas,
  mergeDidMeta,
  openDidSearchCursor,
} from '@tarn/catalogue/repositories/did-meta.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { parseDidFilters } from './did-filter.js';
import type { DidRef, DidSearchOptions, DidView } from './did.types.js';
import { didView } from './did.views.js';
import { validateMetaKey } from './did-validation.js';
import { openRowStream, type RowStream } from './row-stream.js';

const keyOf = (scope: string, name: string) => `${scope}:${name}`;

/** At most this many DIDs per bulk read (the stock client sends 500 at a time). */
export const MAX_BULK_DIDS = 1000;

export interface DescribedDid {
  did: DidView;
  meta: Record<string, unknown>;
}

export interface DidMetadataEntry extends DidRef {
  meta: Record<string, unknown>;
}

/** Free JSON metadata of DIDs (did_meta, GIN-indexed) and the search over it (Rucio's list_dids with filters). */
@Injectable()
export class DidMetadataService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async setMetadata(issuer: Issuer, scope: string, name: string, key: string, value: unknown): Promise<void> {
    return this.setDidsMetadata(issuer, [{ scope, name, meta: { [key]: value } }]);
  }

  async setMetadataBulk(issuer: Issuer, scope: string, name: string, meta: Record<string, unknown>): Promise<void> {
    return this.setDidsMetadata(issuer, [{ scope, name, meta }]);
  }

  /**
   * Merges keys into the metadata of many DIDs at once (one statement). As in Rucio, the key `lifetime` sets the
   * DID's expiry (seconds from now; null clears it) instead of being stored.
   */
  async setDidsMetadata(issuer: Issuer, entries: DidMetadataEntry[]): Promise<void> {
    if (!Array.isArray(entries) || entries.length === 0) return;
    const lifetimes: { did: DidRef; expiredAt: Date | null }[] = [];
    const now = new Date();
    const metas = entries.map((entry) => {
      validateDid(entry);
      const did = keyOf(entry.scope, entry.name);
      if (entry.meta === null || typeof entry.meta !== 'object' || Array.isArray(entry.meta)) {
        throw new InvalidInput(`Invalid metadata for ${did}: give an object of key -> value.`, { rucioClass: 'InvalidMetadata' });
      }
      const meta: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(entry.meta)) {
        if (key === 'lifetime') {
          const seconds = value === null || value === undefined ? null : Number(value);
          lifetimes.push({ did: entry, expiredAt: seconds === null ? null : expiryFromLifetime(seconds, now, `the lifetime of ${did}`) });
        } else {
          validateMetaKey(key, did);
          if (value === undefined) throw new InvalidInput(`Metadata key '${key}' of ${did} has no value.`, { rucioClass: 'InvalidValueForKey' });
          meta[key] = value;
        }
      }
      return { scope: entry.scope, name: entry.name, meta };
    });
    const what = entries.length === 1 ? `metadata of ${keyOf(entries[0].scope, entries[0].name)}` : `metadata of ${entries.length} DIDs`;
    await unitOfWork(this.dataSource, { what }, async (manager) => {
      await this.writableDids(manager, issuer, entries);
      await mergeDidMeta(manager, metas);
      for (const { did, expiredAt } of lifetimes) await setDidExpiry(manager, [did], expiredAt);
    });
  }

  async getMetadata(issuer: Issuer, scope: string, name: string): Promise<Record<string, unknown>> {
    validateDid({ scope, name });
    return unitOfWork(this.dataSource, { what: `metadata of ${keyOf(scope, name)}` }, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
      if ((await findDids(manager, [{ scope, name }])).length === 0) throw NotFound.did(scope, name);
      return getDidMeta(manager, scope, name);
    });
  }

  /**
   * The columns and free metadata of many DIDs, in request order, in two statements (Rucio's get_metadata_bulk):
   * DIDs that do not exist are left out, as Rucio leaves them out.
   */
  async describeMany(issuer: Issuer, dids: DidRef[]): Promise<DescribedDid[]> {
    if (dids.length > MAX_BULK_DIDS) {
      throw new InvalidInput(`At most ${MAX_BULK_DIDS} DIDs per request; ${dids.length} were given. Send them in chunks.`, { rucioClass: 'InvalidObject' });
    }
    for (const did of dids) validateDid(did);
    return unitOfWork(this.dataSource, { what: `metadata of ${dids.length} DID(s)` }, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, dids.map((d) => d.scope));
      const rows = new Map((await findDids(manager, dids)).map((row) => [keyOf(row.scope, row.name), row]));
      const metas = await getDidMetas(manager, [...rows.values()]);
      return dids.flatMap((did) => {
        const key = keyOf(did.scope, did.name);
        const row = rows.get(key);
        return row ? [{ did: didView(row), meta: metas.get(key) ?? {} }] : [];
      });
    });
  }

  async deleteMetadata(issuer: Issuer, scope: string, name: string, key: string): Promise<void> {
    validateDid({ scope, name });
    await unitOfWork(this.dataSource, { what: `metadata key '${key}' of ${keyOf(scope, name)}` }, async (manager) => {
      await this.writableDids(manager, issuer, [{ scope, name }]);
      if (!(await deleteDidMetaKey(manager, scope, name, key))) {
        throw new NotFound(`${keyOf(scope, name)} has no metadata key '${key}'. Get its metadata to see its keys.`, {
          rucioClass: 'KeyNotFound',
          details: { scope, name, key },
        });
      }
    });
  }

  /**
   * Rucio's list_dids: the DIDs of a scope matching the filters (OR of AND groups; operators =, !=, <, >, <=, >=,
   * in; '*' wildcards on text), of the given type, ordered by name, streamed from a cursor. With `recursive`, also
   * the DIDs inside the collections found that match the filters without their name terms (in any readable scope).
   */
  async search(issuer: Issuer, scope: string, options: DidSearchOptions = {}): Promise<RowStream<DidSearchRow>> {
    validateScope(scope);
    const groups = parseDidFilters(options.filters, options.type ?? 'collection');
    for (const bound of ['limit', 'offset'] as const) {
      const value = options[bound];
      if (value !== undefined && value !== null && (!Number.isSafeInteger(value) || value < 0)) {
        throw new InvalidInput(`Invalid ${bound} ${JSON.stringify(value)}: a whole number >= 0 is expected.`, { rucioClass: 'InvalidValueForKey' });
      }
    }
    return openRowStream(this.dataSource, `search in scope ${scope}`, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, [scope]);
      const recursive = options.recursive === true;
      const excludeScopes = recursive ? await this.permissions.unreadableScopes(manager, issuer) : [];
      return openDidSearchCursor(
        manager,
        { scope, groups, limit: options.limit, offset: options.offset, recursive, excludeScopes },
        { batchSize: options.batchSize },
      );
    });
  }

  /** The DIDs of a scope whose name matches a pattern ('*' wildcards), of the given type (default all). */
  async listDids(
    issuer: Issuer,
    scope: string,
    options: { name?: string; type?: string; batchSize?: number } = {},
  ): Promise<RowStream<DidSearchRow>> {
    return this.search(issuer, scope, { filters: { name: options.name ?? '*' }, type: options.type ?? 'all', batchSize: options.batchSize });
  }

  private async writableDids(manager: EntityManager, issuer: Issuer, dids: DidRef[]): Promise<void> {
    await this.permissions.assertCanWriteScopes(manager, issuer, dids.map((d) => d.scope));
    const found = new Set((await findDids(manager, dids)).map((d) => keyOf(d.scope, d.name)));
    const missing = dids.find((d) => !found.has(keyOf(d.scope, d.name)));
    if (missing) throw NotFound.did(missing.scope, missing.name);
  }
}
