import { mapYielding, YIELD_EVERY, yieldToEventLoop } from '@tarn/catalogue';

/** Runs `step(0..count-1)` on at most `limit` lanes at once; rejects when a step rejects. */
async function inLanes(count: number, limit: number, step: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await step(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
}

/** Runs `work` over `items` with at most `limit` in flight; results in order, rejects when a work rejects. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  await inLanes(items.length, limit, async (i) => {
    results[i] = await work(items[i]);
  });
  return results;
}

/** Runs `work` over `items` with at most `limit` in flight; settles every item, in order. */
export async function settleBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  await inLanes(items.length, limit, async (i) => {
    try {
      results[i] = { status: 'fulfilled', value: await work(items[i]) };
    } catch (reason) {
      results[i] = { status: 'rejected', reason };
    }
  });
  return results;
}

export { mapYielding, YIELD_EVERY, yieldToEventLoop };
