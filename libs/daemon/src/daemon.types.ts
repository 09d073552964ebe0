import type { Logger } from '@tarn/events';
import type { EventWake } from './event-wake.js';

/** What one pass of a daemon did. */
export interface PassResult {
  /** True when the pass found work: the next pass follows at once instead of after `intervalMs`. */
  didWork: boolean;
  /** Items handled (files, rules, requests...), for the items metric. */
  items?: number;
  /** Items that failed in an otherwise successful pass (counted as errors). */
  failedItems?: number;
}

/** Given to each pass. */
export interface DaemonContext {
  readonly name: string;
  readonly thread: string;
  /** Aborted when the daemon is asked to stop: finish the item in hand, start no new one. */
  readonly signal: AbortSignal;
  readonly stopping: boolean;
  readonly logger: Logger;
  /** Refreshes the heartbeat now (the runner does it every pass and every heartbeat interval anyway). */
  heartbeat(): Promise<void>;
  /**
   * Runs `work` for each item, in order: an item that throws is logged and counted and the others go on;
   * stops between items once the daemon is stopping.
   */
  eachItem<T>(items: Iterable<T>, work: (item: T) => Promise<void>, describe?: (item: T) => string): Promise<ItemsOutcome>;
}

export interface ItemsOutcome {
  done: number;
  failed: number;
  /** Left undone because the daemon is stopping. */
  skipped: number;
}

/** Lets a daemon wake its own loop early (e.g. on a NOTIFY or an event). */
export interface DaemonControl {
  wake(): void;
  readonly signal: AbortSignal;
}

/** A daemon: a name and one pass; the runner does the rest (DESIGN.md, convention 3). */
export interface DaemonDefinition {
  /** `executable` in heartbeats, `daemon` label in metrics: `messenger`, `reaper`, `rule-evaluator`... */
  name: string;
  runOnce(ctx: DaemonContext): Promise<PassResult>;
  /** Sleep after a pass without work (an event or `wake()` cuts it short). */
  intervalMs: number;
  /** Pause after a pass with work (default 0). */
  busyDelayMs?: number;
  /** First sleep after a failed pass, doubled per consecutive failure up to `backoffMaxMs` (defaults 1 s, 60 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Heartbeat `thread`, to run several instances of one daemon in a process (default `main`). */
  thread?: string;
  /** Events that wake the loop: the runner starts it with the loop, closes it after, and waits for it to be ready. */
  readonly eventWake?: EventWake;
  /** Called when the loop starts (not for single passes): start listening for wake-ups. */
  attach?(control: DaemonControl): void | Promise<void>;
  /**
   * True once the daemon reached what it needs beyond the catalogue (its event bus, a broker); called until it
   * answers true. Default: its `eventWake` subscribed, or nothing to wait for.
   */
  ready?(): Promise<boolean>;
  /** Called once after the last pass: release connections. */
  close?(): Promise<void>;
}
