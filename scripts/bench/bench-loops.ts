/** The daemons' loops as the benches that run them in one process drive them. */
import type { WakeableSleep } from '@tarn/events';

/** What one pass did, and whether its daemon would go on at once (its worker's `didWork`). */
export interface LoopPass {
  items: number;
  full: boolean;
}

/**
 * A daemon's loop: at once again after a full pass, else asleep until `wakeup` is woken (by the loop before it, as
 * the event that loop's work wrote wakes the daemon in a deployment) or `idleMs` pass. A pass that did something
 * wakes `next`. Runs while `running()`.
 */
export async function daemonLoop(
  running: () => boolean,
  wakeup: WakeableSleep,
  idleMs: number,
  pass: () => Promise<LoopPass>,
  next: readonly WakeableSleep[],
): Promise<void> {
  while (running()) {
    const { items, full } = await pass();
    if (items > 0) for (const sleeper of next) sleeper.wake();
    if (!full) await wakeup.sleep(idleMs);
  }
}
