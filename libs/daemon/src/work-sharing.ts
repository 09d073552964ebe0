import { DataSource, EntityManager } from 'typeorm';
import { translateDatabaseError } from '@tarn/catalogue';
import type { DaemonContext, PassResult } from './daemon.types.js';

export interface SkipLockedSweep<T> {
  /** Names the work in errors: `rule evaluation`, `reaping on SITE_A`. */
  what: string;
  batchSize: number;
  /**
   * Locks and returns up to `limit` items: a repository query ending in `FOR UPDATE SKIP LOCKED`, so
   * that another instance of the daemon running the same sweep gets other items, never these.
   */
  claim(manager: EntityManager, limit: number): Promise<T[]>;
  /** Does one item, in the sweep's transaction; its changes are undone alone if it throws. */
  handle(manager: EntityManager, item: T): Promise<void>;
  describe?(item: T): string;
}

/**
 * One pass of a catalogue sweep shared between instances: a transaction claims a batch with
 * SELECT ... FOR UPDATE SKIP LOCKED and handles each item under a savepoint, so a failing item rolls back
 * alone and the others commit. Stops between items when the daemon stops (what is done commits; the rest
 * stays for the next pass). For long work outside a transaction (transfers), claim by setting a state in
 * a short transaction instead, with the same kind of claiming query.
 */
export async function sweepSkipLocked<T>(dataSource: DataSource, ctx: DaemonContext | null, sweep: SkipLockedSweep<T>): Promise<PassResult> {
  let items = 0;
  let failedItems = 0;
  let claimed = 0;
  try {
    await dataSource.transaction(async (manager) => {
      const batch = await sweep.claim(manager, sweep.batchSize);
      claimed = batch.length;
      for (const item of batch) {
        if (ctx?.stopping) break;
        await manager.query('SAVEPOINT tarn_sweep_item');
        try {
          await sweep.handle(manager, item);
          await manager.query('RELEASE SAVEPOINT tarn_sweep_item');
          items++;
        } catch (error) {
          await manager.query('ROLLBACK TO SAVEPOINT tarn_sweep_item');
          failedItems++;
          const label = sweep.describe ? sweep.describe(item) : 'an item';
          ctx?.logger.error(`${sweep.what}: failed on ${label}: ${(error as Error).message}`);
        }
      }
    });
  } catch (error) {
    throw translateDatabaseError(error, sweep.what);
  }
  return { didWork: claimed > 0, items, failedItems };
}
