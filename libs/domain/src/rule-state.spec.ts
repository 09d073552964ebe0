import { InvalidInput } from './errors.js';
import { deriveRuleState } from './rule-state.js';
import { RuleState } from './states.js';

const counters = (state: RuleState, locksOk: number, locksReplicating: number, locksStuck: number) => ({
  state,
  locksOk,
  locksReplicating,
  locksStuck,
});

describe('deriveRuleState', () => {
  it.each<[string, ReturnType<typeof counters>, RuleState]>([
    ['all OK', counters(RuleState.REPLICATING, 5, 0, 0), RuleState.OK],
    ['no locks at all', counters(RuleState.REPLICATING, 0, 0, 0), RuleState.OK],
    ['some replicating', counters(RuleState.OK, 3, 2, 0), RuleState.REPLICATING],
    ['any stuck wins', counters(RuleState.REPLICATING, 3, 2, 1), RuleState.STUCK],
    ['stuck recovers', counters(RuleState.STUCK, 3, 1, 0), RuleState.REPLICATING],
    ['suspended stays', counters(RuleState.SUSPENDED, 5, 0, 0), RuleState.SUSPENDED],
    ['waiting approval stays', counters(RuleState.WAITING_APPROVAL, 0, 0, 0), RuleState.WAITING_APPROVAL],
    ['inject stays', counters(RuleState.INJECT, 0, 3, 1), RuleState.INJECT],
  ])('%s', (_, rule, expected) => {
    expect(deriveRuleState(rule)).toBe(expected);
  });

  it('rejects impossible counters, naming the rule', () => {
    expect(() => deriveRuleState(counters(RuleState.OK, -1, 0, 0), 'r1')).toThrow(InvalidInput);
    expect(() => deriveRuleState(counters(RuleState.OK, -1, 0, 0), 'r1')).toThrow(/Rule r1 has an impossible lock counter locksOk=-1/);
    expect(() => deriveRuleState(counters(RuleState.OK, 0, 0.5, 0))).toThrow(/^Rule has an impossible lock counter locksReplicating=0.5/);
  });
});
