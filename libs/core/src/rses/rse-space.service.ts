import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteRseLimit, listRseLimits, upsertRseLimit } from '@tarn/catalogue/repositories/rse-limit.repository.js';
import { listRseUsage, upsertRseUsage } from '@tarn/catalogue/repositories/rse-usage.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { validCount, validName } from './rse-input.js';
import { requireRse, rseChange } from './rse-unit-of-work.js';
import type { RseUsageView, SetRseUsageInput } from './rse.types.js';

/** The usage source the catalogue keeps itself; `storage` is what the storage reports. */
export const CATALOGUE_USAGE_SOURCE = 'rucio';
export const STORAGE_USAGE_SOURCE = 'storage';

/** Space of RSEs: named limits (MinFreeSpace, MaxBytes, ...) and usage reported per source. */
@Injectable()
export class RseSpaceService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async setLimit(issuer: Issuer, rse: string, name: string, bytes: number): Promise<void> {
    this.permissions.assertAdmin(issuer, `set limits of RSE '${rse}'`);
    validName(`The name of a limit of RSE '${rse}'`, name);
    validCount(`Limit ${name} of RSE '${rse}'`, bytes);
    await rseChange(this.dataSource, `limit ${name} of RSE '${rse}'`, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      await upsertRseLimit(manager, row.id, name, bytes);
    });
  }

  async getLimits(_issuer: Issuer, rse: string): Promise<Record<string, number>> {
    const manager = this.dataSource.manager;
    return listRseLimits(manager, (await requireRse(manager, rse)).id);
  }

  /** As in Rucio, deleting a limit that is not set is no error; returns whether it was set. */
  async deleteLimit(issuer: Issuer, rse: string, name: string): Promise<boolean> {
    this.permissions.assertAdmin(issuer, `delete limits of RSE '${rse}'`);
    return rseChange(this.dataSource, `limit ${name} of RSE '${rse}'`, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      return deleteRseLimit(manager, row.id, name);
    });
  }

  /** Sets the usage one source reports; `files` left out keeps the count already stored. */
  async setUsage(issuer: Issuer, rse: string, usage: SetRseUsageInput): Promise<void> {
    this.permissions.assertAdmin(issuer, `set the usage of RSE '${rse}'`);
    const source = validName(`The usage source of RSE '${rse}'`, usage?.source);
    const values = {
      source,
      used: validCount(`Used bytes of RSE '${rse}' (source ${source})`, usage.used),
      free: usage.free === undefined || usage.free === null ? null : validCount(`Free bytes of RSE '${rse}' (source ${source})`, usage.free),
      files: usage.files === undefined ? undefined : validCount(`Files of RSE '${rse}' (source ${source})`, usage.files),
    };
    await rseChange(this.dataSource, `usage of RSE '${rse}'`, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      await upsertRseUsage(manager, row.id, values);
    });
  }

  async getUsage(_issuer: Issuer, rse: string, source?: string): Promise<RseUsageView[]> {
    const manager = this.dataSource.manager;
    const row = await requireRse(manager, rse);
    return (await listRseUsage(manager, row.id, source)).map((usage) => ({
      rseId: row.id,
      rse: row.rse,
      source: usage.source,
      used: usage.used,
      free: usage.free,
      total: usage.used + (usage.free ?? 0),
      files: usage.files,
      updatedAt: usage.updatedAt,
    }));
  }
}
