import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InvalidInput, NotFound, validateDid } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findDids, openCursor } from '@tarn/catalogue/repositories/did.repository.js';
import { datasetReplicaRepository, type DatasetReplicaRow, toDatasetReplicaRow } from '@tarn/catalogue/repositories/dataset-replica.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import type { DidRef } from '../dids/did.types.js';
import { openRowStream, type RowStream } from '../dids/row-stream.js';
import { requireRse } from '../rses/rse-unit-of-work.js';

/** At most this many collections per dataset-replica query (the stock client sends the datasets of a container). */
export const MAX_DATASET_REPLICA_DIDS = 1000;

/** Rucio's dataset replicas: how much of each collection each RSE holds, computed from the file replicas. */
@Injectable()
export class DatasetReplicaService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /**
   * Per collection and RSE: its files replicated there, how many are AVAILABLE, and its totals (Rucio's
   * list_dataset_replicas and list_dataset_replicas_bulk). Every collection must exist and be readable.
   */
  async ofDids(issuer: Issuer, dids: DidRef[]): Promise<DatasetReplicaRow[]> {
    if (dids.length > MAX_DATASET_REPLICA_DIDS) {
      throw new InvalidInput(`At most ${MAX_DATASET_REPLICA_DIDS} collections per query; ${dids.length} were given. Send them in chunks.`, {
        rucioClass: 'InvalidObject',
      });
    }
    for (const did of dids) validateDid(did);
    return unitOfWork(this.dataSource, { what: `dataset replicas of ${dids.length} DID(s)` }, async (manager) => {
      await this.permissions.assertCanReadScopes(manager, issuer, dids.map((d) => d.scope));
      const found = new Set((await findDids(manager, dids)).map((d) => `${d.scope}:${d.name}`));
      const missing = dids.find((d) => !found.has(`${d.scope}:${d.name}`));
      if (missing) throw NotFound.did(missing.scope, missing.name);
      return datasetReplicaRepository.ofDids(manager, dids, await this.permissions.unreadableScopes(manager, issuer));
    });
  }

  /** The datasets with files on an RSE (Rucio's list_datasets_per_rse), streamed from a cursor. */
  async onRse(issuer: Issuer, rse: string, limit: number | null = null): Promise<RowStream<DatasetReplicaRow>> {
    return openRowStream(this.dataSource, `datasets on RSE '${rse}'`, async (manager) => {
      const found = await requireRse(manager, rse);
      const { sql, params } = datasetReplicaRepository.onRseQuery(found.id, await this.permissions.unreadableScopes(manager, issuer), limit);
      return openCursor(manager, sql, params, { map: toDatasetReplicaRow });
    });
  }
}
