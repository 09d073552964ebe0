import { envNumber } from '@tarn/config';

/** How daemon instances tell that they live, and how long the dead ones are shown. */
export interface HeartbeatSettings {
  /** TARN_HEARTBEAT_INTERVAL_SECONDS: every instance beats this often whatever its passes do (default 10). */
  intervalMs: number;
  /** An instance silent for 3 beats is dead (default 30 s); each instance records its own window in its heartbeat. */
  deadAfterSeconds: number;
  /**
   * TARN_HEARTBEAT_FORGET_SECONDS: a dead instance is cleared this long after its last beat once its daemon has a
   * live instance again (default 600). A daemon with no live instance keeps showing its dead ones, for up to a week.
   */
  forgetAfterSeconds: number;
}

/** Dead instances of a daemon that never came back are cleared after a week all the same. */
export const FORGET_UNREPLACED_SECONDS = 7 * 86_400;

export function loadHeartbeatSettings(env: NodeJS.ProcessEnv = process.env): HeartbeatSettings {
  const interval = envNumber(env, 'TARN_HEARTBEAT_INTERVAL_SECONDS', 10, { unit: 'seconds' });
  const deadAfterSeconds = 3 * interval;
  const forgetAfterSeconds = envNumber(env, 'TARN_HEARTBEAT_FORGET_SECONDS', 600, { unit: 'seconds' });
  if (forgetAfterSeconds <= deadAfterSeconds) {
    throw new Error(
      `TARN_HEARTBEAT_FORGET_SECONDS=${forgetAfterSeconds} must exceed 3 heartbeat intervals (${deadAfterSeconds} s), or dead instances would vanish before they are seen dead`,
    );
  }
  return { intervalMs: Math.round(interval * 1000), deadAfterSeconds, forgetAfterSeconds };
}
