import { runRucioBatch, type RucioStep, type RucioStepResult } from './api.js';

/** A stock-client call of a test plan: its label (what it covers), the call, and whether it should succeed. */
export interface PlannedCall<L extends string> {
  label: L;
  step: RucioStep;
  /** The call is expected to fail (a refusal or an error Rucio raises): it counts as covered when it does. */
  fails?: boolean;
}

/**
 * The stock-client calls a test file covers, by label. The labels are declared up front (so that a count of them
 * needs no server); each run records whether the call behaved as planned, and `uncovered()` names the labels that
 * did not run or did not behave.
 */
export class StockCalls<L extends string> {
  private readonly outcomes = new Map<L, boolean>();

  constructor(readonly labels: readonly L[]) {}

  call(label: L, step: RucioStep, options: { fails?: boolean } = {}): PlannedCall<L> {
    return { label, step, fails: options.fails };
  }

  /** Runs the calls in one batch, in order; resolves with each result, by label and in order. */
  async run(calls: readonly PlannedCall<L>[]): Promise<RucioStepResult[] & { of(label: L): RucioStepResult }> {
    const results = await runRucioBatch(calls.map((c) => c.step));
    calls.forEach((c, i) => {
      const behaved = c.fails ? results[i].code !== 0 : results[i].code === 0;
      this.outcomes.set(c.label, (this.outcomes.get(c.label) ?? true) && behaved);
    });
    const byLabel = new Map(calls.map((c, i) => [c.label, results[i]]));
    return Object.assign(results, {
      of: (label: L) => {
        const result = byLabel.get(label);
        if (!result) throw new Error(`no call labelled '${label}' in this batch`);
        return result;
      },
    });
  }

  /** Labels that never ran, or did not behave as planned, with what they printed. */
  uncovered(): L[] {
    return this.labels.filter((label) => this.outcomes.get(label) !== true);
  }
}

/** The output of a call, for assertions and for messages when a call misbehaved. */
export function describeResult(result: RucioStepResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** The JSON a Python call printed last, or an error that shows what it printed instead. */
export function lastJson<T = any>(result: RucioStepResult): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`the call printed no JSON: ${describeResult(result)}`);
  }
}

/** Throws, showing what it printed, unless every call exited 0. */
export function expectSucceeded(results: readonly RucioStepResult[]): void {
  const failed = results.find((r) => r.code !== 0);
  if (failed) throw new Error(`a stock-client call failed: ${describeResult(failed)}`);
}
