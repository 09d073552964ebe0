import { DataSource, EntityManager } from 'typeorm';
import { isRetryable, translateDatabaseError } from './database-errors.js';

export interface UnitOfWorkOptions {
  /** Names the object of the work in error messages, e.g. `rule on user.jdoe:run4711`. */
  what: string;
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  /** Serialization failures and deadlocks are retried this many times. */
  retries?: number;
}

/** One transaction per unit of work: retried on serialization failure, database errors made readable. */
export async function unitOfWork<T>(dataSource: DataSource, options: UnitOfWorkOptions, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return options.isolation
        ? await dataSource.transaction(options.isolation, work)
        : await dataSource.transaction(work);
    } catch (error) {
      if (attempt < retries && isRetryable(error)) {
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 10));
        continue;
      }
      throw translateDatabaseError(error, options.what);
    }
  }
}
