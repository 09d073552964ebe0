import { DataSource, EntityManager } from 'typeorm';
import { NotFound } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { findLiveRseByName, notifyRsesChanged, RseRecord } from '@tarn/catalogue/repositories/rse.repository.js';
import { rsesChangedInProcess } from './rse-change.signal.js';

/**
 * A unit of work that changes what RSE expressions see (RSEs, attributes, limits, usage): announces the
 * change to other processes with NOTIFY in the same transaction, and to this process after it ends.
 */
export async function rseChange<T>(dataSource: DataSource, what: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await unitOfWork(dataSource, { what }, async (manager) => {
      const result = await work(manager);
      await notifyRsesChanged(manager);
      return result;
    });
  } finally {
    rsesChangedInProcess();
  }
}

/** The live RSE of that name, or RSENotFound. */
export async function requireRse(manager: EntityManager, name: string, lock?: 'update' | 'share'): Promise<RseRecord> {
  const rse = typeof name === 'string' ? await findLiveRseByName(manager, name, { lock }) : null;
  if (!rse) throw NotFound.rse(String(name));
  return rse;
}
