/** Knobs of the rule evaluator, from the environment. */
export interface RuleEvaluatorSettings {
  /** TARN_RULE_EVALUATOR_INTERVAL_SECONDS: sweep of the updated-DID queue when no event wakes it (default 10). */
  intervalMs: number;
  /** A pass evaluates DIDs for at most this long (then heartbeats and stop requests are heard; default 2 s). */
  passBudgetMs: number;
  /** Queue rows of one DID claimed at most per transaction (default 10,000). */
  claimLimit: number;
}

export function positiveSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number of seconds`);
  return Math.round(value * 1000);
}

export function loadRuleEvaluatorSettings(env: NodeJS.ProcessEnv = process.env): RuleEvaluatorSettings {
  return { intervalMs: positiveSeconds(env, 'TARN_RULE_EVALUATOR_INTERVAL_SECONDS', 10), passBudgetMs: 2_000, claimLimit: 10_000 };
}
