export interface EnvNumberOptions {
  /** Whole numbers only. */
  integer?: boolean;
  /** Smallest value accepted (default: above 0). */
  min?: number;
  /** What the number counts, for the error: `seconds`, `instances`. */
  unit?: string;
}

/** A number from the environment, `fallback` when unset or empty; anything else is an error naming the variable. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, options: EnvNumberOptions = {}): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  const tooSmall = options.min === undefined ? value <= 0 : value < options.min;
  if (!Number.isFinite(value) || tooSmall || (options.integer && !Number.isInteger(value))) {
    const bound = options.min === undefined ? 'above 0' : `at least ${options.min}`;
    throw new Error(`${name}=${raw} must be ${options.integer ? 'a whole number' : 'a number'} ${bound}${options.unit ? ` (${options.unit})` : ''}`);
  }
  return value;
}
