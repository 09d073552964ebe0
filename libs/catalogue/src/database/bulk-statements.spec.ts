import { countInStatements, inStatements, slices, STATEMENT_ROWS } from './bulk-statements.js';

describe('bulk statements', () => {
  it('cuts a long list into statements of STATEMENT_ROWS, in order, and joins what they return', async () => {
    const items = Array.from({ length: 2 * STATEMENT_ROWS + 7 }, (_, i) => i);
    const seen: number[][] = [];
    const out = await inStatements(items, async (slice) => {
      seen.push(slice);
      return slice.map((i) => i * 2);
    });
    expect(seen.map((s) => s.length)).toEqual([STATEMENT_ROWS, STATEMENT_ROWS, 7]);
    expect(seen.flat()).toEqual(items);
    expect(out).toEqual(items.map((i) => i * 2));
  });

  it('runs one statement for a short list, none for an empty one, and sums counts', async () => {
    const calls: number[] = [];
    await inStatements([1, 2, 3], async (slice) => void calls.push(slice.length));
    expect(calls).toEqual([3]);
    expect(await countInStatements([], async () => 5)).toBe(5);
    expect(await countInStatements(Array.from({ length: STATEMENT_ROWS + 1 }), async (slice) => slice.length)).toBe(STATEMENT_ROWS + 1);
    expect(slices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('serves the event loop between statements and stops at the first that fails', async () => {
    let served = false;
    setImmediate(() => (served = true));
    const servedBefore: boolean[] = [];
    const failing = inStatements(Array.from({ length: 3 * STATEMENT_ROWS }), async () => {
      servedBefore.push(served);
      if (servedBefore.length === 2) throw new Error('statement 2 failed');
    });
    await expect(failing).rejects.toThrow('statement 2 failed');
    expect(servedBefore).toEqual([false, true]);
  });
});
