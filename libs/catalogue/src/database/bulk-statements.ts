/**
 * Rows one bulk statement carries at most. A request may bring 10,000 items; the driver encodes a statement's
 * parameters and decodes its rows in one turn of the event loop, which for 10,000 rows holds the process (and, in
 * embedded mode, every daemon in it) for tens of milliseconds. Longer lists go in several statements of this size in
 * the same transaction, the event loop served between them: still set-based, never one round trip per item.
 */
export const STATEMENT_ROWS = 1000;

/** Items a synchronous step handles before the event loop is served again. */
export const YIELD_EVERY = 100;

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Slices of at most `size` items, in order. */
export function slices<T>(items: readonly T[], size: number = STATEMENT_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `statement` over `items` a slice of STATEMENT_ROWS at a time, in order, and concatenates what each returns. */
export async function inStatements<T, R = never>(items: readonly T[], statement: (slice: T[]) => Promise<R[] | void>): Promise<R[]> {
  if (items.length <= STATEMENT_ROWS) return ((await statement(items as T[])) ?? []) as R[];
  const results: R[] = [];
  let first = true;
  for (const slice of slices(items)) {
    if (!first) await yieldToEventLoop();
    first = false;
    const rows = await statement(slice);
    if (rows) for (const row of rows) results.push(row);
  }
  return results;
}

/** `inStatements` for statements that return a count (rows inserted, updated): the sum. */
export async function countInStatements<T>(items: readonly T[], statement: (slice: T[]) => Promise<number>): Promise<number> {
  let total = 0;
  await inStatements(items, async (slice) => {
    total += await statement(slice);
  });
  return total;
}

/**
 * `map` over a long list (the 10,000 items of a bulk request) in chunks, serving the event loop between them, so that
 * CPU work on one request never holds the process (and in embedded mode every daemon) for long.
 */
export async function mapYielding<T, R>(items: readonly T[], map: (item: T, index: number) => R): Promise<R[]> {
  const results = new Array<R>(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
    results[i] = map(items[i], i);
  }
  return results;
}
