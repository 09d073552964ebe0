import { InvalidInput } from './errors.js';
import { RuleState } from './states.js';

export interface RuleLockCounters {
  state: RuleState;
  locksOk: number;
  locksReplicating: number;
  locksStuck: number;
}

// States set by decisions (an operator, approval, deferred evaluation), not by lock progress.
const DECIDED_STATES = new Set<RuleState>([RuleState.SUSPENDED, RuleState.WAITING_APPROVAL, RuleState.INJECT]);

/** The rule state its lock counters imply: any stuck lock makes it STUCK, then REPLICATING, else OK. */
export function deriveRuleState(rule: RuleLockCounters, ruleId?: string): RuleState {
  const counters = { locksOk: rule.locksOk, locksReplicating: rule.locksReplicating, locksStuck: rule.locksStuck };
  for (const [name, value] of Object.entries(counters)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidInput(
        `Rule${ruleId ? ` ${ruleId}` : ''} has an impossible lock counter ${name}=${value}; counters are whole numbers >= 0. ` +
          'Recount the rule\'s locks (the rule repairer does this).',
        { rucioClass: 'InvalidObject', details: { ruleId, ...counters } },
      );
    }
  }
  if (DECIDED_STATES.has(rule.state)) return rule.state;
  if (rule.locksStuck > 0) return RuleState.STUCK;
  if (rule.locksReplicating > 0) return RuleState.REPLICATING;
  return RuleState.OK;
}
