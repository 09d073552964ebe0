import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { formatDid, validateDid } from '@tarn/domain';
import { openCursor } from '@tarn/catalogue/repositories/did.repository.js';
import { datasetLockRepository, type DatasetLockView, toDatasetLockView } from '@tarn/catalogue/repositories/dataset-lock.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { openRowStream, type RowStream } from '../dids/row-stream.js';
import type { DidRef } from '../dids/did.types.js';
import { requireRse } from '../rses/rse-unit-of-work.js';

/** At most this many DIDs per bulk lock query (Rucio's client sends them in chunks). */
export const MAX_LOCK_DIDS = 1000;

/** Rucio's dataset lock reads (/locks): which rules hold a dataset where, and what an RSE holds. */
@Injectable()
export class DatasetLockService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** The dataset locks of one DID (Rucio's get_dataset_locks; `rule list --traverse`). */
  async ofDid(issuer: Issuer, did: DidRef): Promise<RowStream<DatasetLockView>> {
    validateDid(did);
    return this.ofDids(issuer, [did], false, `dataset locks of ${formatDid(did)}`);
  }

  /** The dataset locks of many DIDs, containers resolved to the datasets below them (get_dataset_locks_bulk). */
  async ofDidsBulk(issuer: Issuer, dids: DidRef[]): Promise<RowStream<DatasetLockView>> {
    for (const did of dids) validateDid(did);
    return this.ofDids(issuer, dids, true, `dataset locks of ${dids.length} DID(s)`);
  }

  private ofDids(issuer: Issuer, dids: DidRef[], belowContainers: boolean, what: string): Promise<RowStream<DatasetLockView>> {
    return openRowStream(this.dataSource, what, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, dids.map((d) => d.scope));
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const { sql, params } = datasetLockRepository.ofDidsQuery(dids, excludeScopes, belowContainers);
      return openCursor(manager, sql, params, { map: toDatasetLockView });
    });
  }

  /** Every dataset lock on an RSE (get_dataset_locks_by_rse), restricted scopes the reader may not read left out. */
  async onRse(issuer: Issuer, rse: string): Promise<RowStream<DatasetLockView>> {
    return openRowStream(this.dataSource, `dataset locks on RSE '${rse}'`, async (manager) => {
      const found = await requireRse(manager, rse);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const { sql, params } = datasetLockRepository.onRseQuery(found.id, excludeScopes);
      return openCursor(manager, sql, params, { map: toDatasetLockView });
    });
  }
}
