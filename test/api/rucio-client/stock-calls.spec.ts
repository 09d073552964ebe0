import { ALL_CALLS } from './stock-calls.plan.js';

describe('the stock-client calls the e2e specs of this folder plan', () => {
  it('are at least 150, each planned once', () => {
    expect(new Set(ALL_CALLS).size).toBe(ALL_CALLS.length);
    expect(ALL_CALLS.length).toBeGreaterThanOrEqual(150);
  });
});
