import type { AnyEventEnvelope } from './event-envelope.js';
import type { EventDelivery, EventHandler } from './event-bus.js';

export type DeliveryOutcome = { kind: 'handled' } | { kind: 'failed'; error: Error; attempts: number } | { kind: 'stopped' };

/**
 * Calls the handler up to `maxAttempts` times with doubling delays. Stops retrying (outcome 'stopped',
 * nothing committed) when `stopping()` turns true, so a shutdown never dead-letters an event.
 */
export async function deliverWithRetries(
  handler: EventHandler,
  event: AnyEventEnvelope,
  delivery: Omit<EventDelivery, 'attempt'>,
  options: { maxAttempts: number; retryBackoffMs: number; maxRetryBackoffMs?: number; stopping: () => boolean; sleep: (ms: number) => Promise<void> },
): Promise<DeliveryOutcome> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    if (attempt > 1) {
      await options.sleep(Math.min(options.maxRetryBackoffMs ?? 10_000, options.retryBackoffMs * 2 ** (attempt - 2)));
      if (options.stopping()) return { kind: 'stopped' };
    }
    try {
      await handler(event, { ...delivery, attempt });
      return { kind: 'handled' };
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
    }
  }
  return { kind: 'failed', error: lastError!, attempts: options.maxAttempts };
}

/** A sleep that ends early when `wake()` is called (shutdown, or a notification that there is work). */
export class WakeableSleep {
  private wakeUp: (() => void) | null = null;
  private pending = false;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Ends the current sleep, or the next one at once if none is in progress. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pending = true;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
