/** Runs `each` over `items`, `lanes` at a time, each lane taking the next item when it is free. */
export async function inParallel<T>(items: readonly T[], lanes: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) await each(items[next++]);
    }),
  );
}
