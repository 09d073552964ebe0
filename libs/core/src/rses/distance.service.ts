import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { deleteDistance, listDistances, upsertDistance } from '@tarn/catalogue/repositories/distance.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { validCount } from './rse-input.js';
import { requireRse } from './rse-unit-of-work.js';
import type { DistanceView } from './rse.types.js';

/** Distances between RSEs, used to rank transfer sources: lower is better. */
@Injectable()
export class DistanceService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** Adds or changes the distance from `src` to `dest` (one direction). */
  async setDistance(issuer: Issuer, src: string, dest: string, distance: number): Promise<void> {
    this.permissions.assertAdmin(issuer, `set the distance from RSE '${src}' to '${dest}'`);
    validCount(`The distance from RSE '${src}' to '${dest}'`, distance);
    await unitOfWork(this.dataSource, { what: `distance from RSE '${src}' to '${dest}'` }, async (manager) => {
      const [from, to] = [await requireRse(manager, src, 'share'), await requireRse(manager, dest, 'share')];
      await upsertDistance(manager, from.id, to.id, distance);
    });
  }

  /** Distances from `src` and/or to `dest`; all distances between live RSEs when neither is given. */
  async getDistances(_issuer: Issuer, filter: { src?: string; dest?: string } = {}): Promise<DistanceView[]> {
    const manager = this.dataSource.manager;
    const srcRseId = filter.src === undefined ? undefined : (await requireRse(manager, filter.src)).id;
    const destRseId = filter.dest === undefined ? undefined : (await requireRse(manager, filter.dest)).id;
    return listDistances(manager, { srcRseId, destRseId });
  }

  /** As in Rucio, deleting a distance that is not set is no error; returns whether it was set. */
  async deleteDistance(issuer: Issuer, src: string, dest: string): Promise<boolean> {
    this.permissions.assertAdmin(issuer, `delete the distance from RSE '${src}' to '${dest}'`);
    return unitOfWork(this.dataSource, { what: `distance from RSE '${src}' to '${dest}'` }, async (manager) => {
      const [from, to] = [await requireRse(manager, src), await requireRse(manager, dest)];
      return deleteDistance(manager, from.id, to.id);
    });
  }
}
