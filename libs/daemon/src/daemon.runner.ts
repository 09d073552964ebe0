import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { CatalogueOutage } from '@tarn/catalogue';
import { consoleLogger, WakeableSleep, abortableSleep, type Logger } from '@tarn/events';
import type { HeartbeatKey } from '@tarn/catalogue/repositories/operations.index.js';
import { DaemonMetrics } from './daemon.metrics.js';
import type { DaemonContext, DaemonDefinition, ItemsOutcome, PassResult } from './daemon.types.js';
import { HeartbeatService, type InstancePayload } from './heartbeat.service.js';

export interface DaemonRunnerDeps {
  dataSource: DataSource;
  metrics?: DaemonMetrics;
  logger?: Logger;
  heartbeats?: HeartbeatService;
  hostname?: string;
  pid?: number;
  /** Longest time between two heartbeats, whatever the passes do (default: the HeartbeatService's settings, 10 s). */
  heartbeatIntervalMs?: number;
  /** Passes refresh the heartbeat at most this often (default 1 s), so a busy loop does not write per pass. */
  heartbeatMinIntervalMs?: number;
  /** While a pass keeps failing, the error is logged again this often at most (default 5 min). */
  repeatErrorLogMs?: number;
}

export interface DaemonStatus {
  name: string;
  thread: string;
  running: boolean;
  /** It reached the catalogue (wrote its heartbeat) and its event bus. */
  ready: boolean;
  passes: number;
  lastPassAt: Date | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** The daemon waits for the catalogue database to answer again. */
  waitingForDatabase: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The one daemon loop: heartbeats (every pass, at least every 10 s, removed on a clean exit), passes back
 * to back while there is work, interruptible sleep otherwise, exponential backoff after a failed pass (the
 * loop survives; the failure is logged once per streak, not per pass), metrics, and a stop that lets the
 * item in hand finish.
 */
export class DaemonRunner {
  readonly name: string;
  readonly thread: string;
  readonly key: HeartbeatKey;
  private readonly logger: Logger;
  private readonly metrics: DaemonMetrics;
  private readonly heartbeats: HeartbeatService;
  private readonly sleeper = new WakeableSleep();
  private readonly outage: CatalogueOutage;
  private waitingForDatabase = false;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastBeatAt = 0;
  private beating: Promise<void> | null = null;
  private stopRequested = false;
  private closed = false;
  private passes = 0;
  private lastPassAt: Date | null = null;
  private failures = 0;
  private failingSince = 0;
  private lastErrorLogAt = 0;
  private lastError: string | null = null;
  private readonly startedAt = new Date();
  private readyReached = false;
  /** Port of the process's health and metrics server, told in the heartbeat (set before start). */
  metricsPort: number | null = null;

  constructor(
    readonly definition: DaemonDefinition,
    private readonly deps: DaemonRunnerDeps,
  ) {
    this.name = definition.name;
    this.thread = definition.thread ?? 'main';
    this.key = { executable: this.name, hostname: deps.hostname ?? hostname(), pid: deps.pid ?? process.pid, thread: this.thread };
    this.logger = deps.logger ?? consoleLogger(this.thread === 'main' ? this.name : `${this.name}/${this.thread}`);
    this.metrics = deps.metrics ?? DaemonMetrics.forProcess();
    this.heartbeats = deps.heartbeats ?? new HeartbeatService(deps.dataSource);
    this.outage = CatalogueOutage.of(deps.dataSource);
  }

  get running(): boolean {
    return this.loop !== null;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  status(): DaemonStatus {
    return {
      name: this.name,
      thread: this.thread,
      running: this.running,
      ready: this.readyReached,
      passes: this.passes,
      lastPassAt: this.lastPassAt,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      waitingForDatabase: this.waitingForDatabase,
    };
  }

  /** Starts the loop (once); the promise resolves when the loop has ended after stop(). */
  start(): Promise<void> {
    this.loop ??= this.runLoop().finally(() => (this.loop = null));
    return this.loop;
  }

  /**
   * Whether the loop runs, reached the catalogue (its heartbeat is written) and its event bus (`ready()` of the
   * daemon, or its eventWake subscribed). Once ready it stays so; `waiting` says what is missing. Waits at most
   * `timeoutMs` for the daemon's answer.
   */
  async readiness(timeoutMs = 1000): Promise<{ ready: boolean; waiting?: string }> {
    if (this.readyReached) return { ready: true };
    if (!this.running || this.stopRequested) return { ready: false, waiting: `${this.name} is not running` };
    if (this.lastBeatAt === 0) return { ready: false, waiting: `${this.name} has not reached the catalogue yet` };
    const wake = this.definition.eventWake;
    const probe = this.definition.ready
      ? this.definition.ready()
      : wake?.enabled
        ? wake.ready()
        : Promise.resolve(true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ready = await Promise.race([probe.catch(() => false), timeout]).finally(() => clearTimeout(timer));
    if (!ready) return { ready: false, waiting: `${this.name} has not reached its event bus yet` };
    if (!this.readyReached) {
      this.readyReached = true;
      void this.heartbeat(true).catch(() => undefined);
    }
    return { ready: true };
  }

  /** Asks until the daemon is ready (then its heartbeat says so), a little less often each time, while it runs. */
  private async watchReadiness(): Promise<void> {
    for (let delay = 100; !this.readyReached && !this.stopRequested; delay = Math.min(delay * 2, 5_000)) {
      if ((await this.readiness(delay)).ready) return;
      await abortableSleep(delay, this.abort.signal);
    }
  }

  /** Cuts the current idle sleep short (new work arrived). A wake during a pass skips the next sleep. */
  wake(): void {
    if (!this.stopRequested) this.sleeper.wake();
  }

  /**
   * One pass with heartbeat and metrics, errors thrown to the caller: `--once` mode and tests.
   * Call stop() afterwards to remove the heartbeat and release the daemon's resources.
   */
  async runOnce(): Promise<PassResult> {
    await this.heartbeat(true);
    return this.pass();
  }

  /** Asks the loop to stop after the item in hand, waits for it, removes the heartbeat and closes the daemon. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.abort.abort();
    this.sleeper.wake();
    await this.loop?.catch(() => undefined);
    await this.finish();
  }

  private async runLoop(): Promise<void> {
    this.stopRequested = false;
    this.closed = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const control = { wake: () => this.wake(), signal: this.abort.signal };
    const beatFailed = async (error: unknown) => {
      if (!(await this.outage.check(error))) this.logger.warn(`cannot write its heartbeat: ${message(error)}`);
    };
    await this.heartbeat(true).catch(beatFailed);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(true).catch(beatFailed), this.deps.heartbeatIntervalMs ?? this.heartbeats.settings.intervalMs);
    this.heartbeatTimer.unref();
    try {
      this.definition.eventWake?.start(control);
      await this.definition.attach?.(control);
      void this.watchReadiness();
      while (!this.stopRequested) {
        let delay: number;
        let wakeable = true;
        try {
          await this.heartbeat(false).catch(() => undefined);
          const result = await this.pass();
          this.recovered();
          delay = result.didWork ? (this.definition.busyDelayMs ?? 0) : this.definition.intervalMs;
        } catch (error) {
          if (await this.outage.check(error)) {
            // Not this daemon's failure: the outage is logged once for the process; wait for the database, then go on at once.
            this.waitingForDatabase = true;
            await this.outage.whenAvailable(this.abort.signal);
            this.waitingForDatabase = false;
            continue;
          }
          this.failed(error);
          delay = this.backoffMs();
          wakeable = false;
        }
        if (this.stopRequested) break;
        if (wakeable) await this.sleeper.sleep(delay);
        else await abortableSleep(delay, this.abort.signal);
      }
    } finally {
      await this.finish();
    }
  }

  private async pass(): Promise<PassResult> {
    const endTimer = this.metrics.passDuration.startTimer({ daemon: this.name });
    const labels = { daemon: this.name };
    try {
      const result = await this.definition.runOnce(this.context());
      this.metrics.items.inc(labels, result.items ?? 0);
      if (result.failedItems) this.metrics.errors.inc(labels, result.failedItems);
      return result;
    } catch (error) {
      this.metrics.errors.inc(labels);
      throw error;
    } finally {
      endTimer();
      this.metrics.passes.inc(labels);
      this.passes++;
      this.lastPassAt = new Date();
    }
  }

  private context(): DaemonContext {
    const runner = this;
    return {
      name: this.name,
      thread: this.thread,
      signal: this.abort.signal,
      get stopping() {
        return runner.stopRequested;
      },
      logger: this.logger,
      heartbeat: () => this.heartbeat(true),
      eachItem: (items, work, describe) => this.eachItem(items, work, describe),
    };
  }

  private async eachItem<T>(items: Iterable<T>, work: (item: T) => Promise<void>, describe?: (item: T) => string): Promise<ItemsOutcome> {
    const outcome: ItemsOutcome = { done: 0, failed: 0, skipped: 0 };
    for (const item of items) {
      if (this.stopRequested) {
        outcome.skipped++;
        continue;
      }
      try {
        await work(item);
        outcome.done++;
      } catch (error) {
        // Without the database no item can go on: end the pass, the loop waits for it.
        if (await this.outage.check(error)) throw error;
        outcome.failed++;
        this.logger.error(`failed on ${describe ? describe(item) : 'an item'}: ${message(error)}`);
      }
    }
    return outcome;
  }

  private async heartbeat(force: boolean): Promise<void> {
    if (this.closed) return;
    if (!force && Date.now() - this.lastBeatAt < (this.deps.heartbeatMinIntervalMs ?? 1000)) return;
    if (this.beating) return this.beating;
    this.beating = (async () => {
      try {
        const payload: InstancePayload = {
          deadAfterSeconds: this.deadAfterSeconds(),
          startedAt: this.startedAt.toISOString(),
          metricsPort: this.metricsPort,
          ready: this.readyReached,
          passes: this.passes,
          failures: this.failures,
          lastError: this.lastError,
          clock: new Date().toISOString(),
        };
        await this.heartbeats.beat(this.key, payload);
        this.lastBeatAt = Date.now();
      } finally {
        this.beating = null;
      }
    })();
    return this.beating;
  }

  /** 3 heartbeat intervals: the window after which readers call this instance dead. */
  private deadAfterSeconds(): number {
    return (3 * (this.deps.heartbeatIntervalMs ?? this.heartbeats.settings.intervalMs)) / 1000;
  }

  private failed(error: unknown): void {
    const now = Date.now();
    this.lastError = message(error);
    if (this.failures === 0) {
      this.failingSince = now;
      this.lastErrorLogAt = now;
      this.logger.error(`pass failed: ${this.lastError}; retrying with backoff`);
    } else if (now - this.lastErrorLogAt >= (this.deps.repeatErrorLogMs ?? 300_000)) {
      this.lastErrorLogAt = now;
      this.logger.error(`still failing after ${this.failures + 1} passes over ${Math.round((now - this.failingSince) / 1000)} s: ${this.lastError}`);
    }
    this.failures++;
  }

  private recovered(): void {
    if (this.failures > 0) {
      this.logger.log(`recovered after ${this.failures} failed pass(es) over ${Math.round((Date.now() - this.failingSince) / 1000)} s`);
    }
    this.failures = 0;
    this.lastError = null;
  }

  private backoffMs(): number {
    const initial = this.definition.backoffInitialMs ?? 1000;
    const max = this.definition.backoffMaxMs ?? 60_000;
    const exp = Math.min(max, initial * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  private async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    await this.beating?.catch(() => undefined);
    try {
      await this.definition.eventWake?.close();
      await this.definition.close?.();
    } catch (error) {
      this.logger.warn(`did not close cleanly: ${message(error)}`);
    }
    await this.heartbeats.remove(this.key).catch(async (error) => {
      if (!(await this.outage.check(error))) this.logger.warn(`cannot remove its heartbeat: ${message(error)}`);
    });
  }
}
