import { weightedPick } from './weighted-pick.js';

describe('weightedPick', () => {
  it('picks in proportion to weight and never a zero weight while a positive one is left', () => {
    const items = [{ w: 0 }, { w: 1 }, { w: 3 }];
    expect(weightedPick(items, (i) => i.w, () => 0)).toBe(items[1]);
    expect(weightedPick(items, (i) => i.w, () => 0.24)).toBe(items[1]);
    expect(weightedPick(items, (i) => i.w, () => 0.25)).toBe(items[2]);
    expect(weightedPick(items, (i) => i.w, () => 0.999999)).toBe(items[2]);
  });
  it('picks uniformly when every weight is zero', () => {
    const items = [{ w: 0 }, { w: 0 }];
    expect(weightedPick(items, (i) => i.w, () => 0.6)).toBe(items[1]);
    expect(() => weightedPick([], () => 1, Math.random)).toThrow(RangeError);
  });
});
