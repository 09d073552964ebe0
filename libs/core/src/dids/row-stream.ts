import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { translateDatabaseError } from '@tarn/catalogue';

/**
 * Rows read through a database cursor, batch by batch, inside a read-only transaction that stays open until the
 * rows are consumed or `close()` is called. Iterate it once (e.g. to write NDJSON); a consumer that stops early
 * (client gone) must call `close()` or return from the iteration, which releases the connection.
 */
export interface RowStream<T> extends AsyncIterable<T> {
  close(): Promise<void>;
}

class CursorRowStream<T> implements RowStream<T> {
  private released = false;

  constructor(
    private readonly runner: QueryRunner,
    private readonly batches: AsyncIterator<T[]>,
    private readonly what: string,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        let next: IteratorResult<T[]>;
        try {
          next = await this.batches.next();
        } catch (error) {
          throw translateDatabaseError(error, this.what);
        }
        if (next.done) return;
        yield* next.value;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
    } finally {
      await this.runner.release();
    }
  }
}

/**
 * Opens a read-only REPEATABLE READ transaction, runs `open` (permission checks, then declaring the cursor) in it,
 * and returns the rows as a stream. Errors raised by `open` (not found, forbidden) are thrown here, before any row.
 */
export async function openRowStream<T>(
  dataSource: DataSource,
  what: string,
  open: (manager: EntityManager) => Promise<AsyncIterator<T[]>>,
): Promise<RowStream<T>> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction('REPEATABLE READ');
    await runner.query('SET TRANSACTION READ ONLY');
    const batches = await open(runner.manager);
    return new CursorRowStream(runner, batches, what);
  } catch (error) {
    try {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    throw translateDatabaseError(error, what);
  }
}

/** A stream of rows already in memory (e.g. the one file a file DID lists), with the same interface. */
export function arrayRowStream<T>(rows: T[]): RowStream<T> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* rows;
    },
    close: async () => undefined,
  };
}

/** Reads a whole stream into an array (for tests and small listings). */
export async function collectRows<T>(stream: RowStream<T>): Promise<T[]> {
  const rows: T[] = [];
  for await (const row of stream) rows.push(row);
  return rows;
}
