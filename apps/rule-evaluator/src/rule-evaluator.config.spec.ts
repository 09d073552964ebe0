import { loadRuleEvaluatorSettings, positiveSeconds } from './rule-evaluator.config.js';

describe('rule daemon settings', () => {
  it('reads intervals in seconds, with defaults', () => {
    expect(loadRuleEvaluatorSettings({}).intervalMs).toBe(10_000);
    expect(loadRuleEvaluatorSettings({ TARN_RULE_EVALUATOR_INTERVAL_SECONDS: '0.5' }).intervalMs).toBe(500);
    expect(positiveSeconds({ X: '' }, 'X', 30)).toBe(30_000);
  });

  it('refuses what is not a positive number of seconds, naming the variable', () => {
    expect(() => positiveSeconds({ X: '0' }, 'X', 1)).toThrow('X=0 must be a positive number of seconds');
    expect(() => positiveSeconds({ X: 'soon' }, 'X', 1)).toThrow('X=soon must be a positive number of seconds');
  });
});
