import type { DaemonControl } from './daemon.types.js';
import type { AnyEventEnvelope, EventBus, EventSubscription, EventType, Logger, Topic } from '@tarn/events';

export interface EventWakeOptions {
  /** Consumer group (one per daemon: its instances share the partitions, each event wakes one of them). */
  group: string;
  topics: readonly Topic[];
  types: readonly EventType[];
  /** Only events passing this wake the daemon (default: all of `types`). */
  filter?: (event: AnyEventEnvelope) => boolean;
  /** After a failed subscription (broker down), the next try waits this long (default 10 s). */
  retryMs?: number;
}

/**
 * Wakes a daemon's loop when events arrive: the event is only a hint that there is work, the catalogue stays
 * the source of truth (a lost event delays work until the next sweep, never loses it). Subscribes in the
 * background, so a slow or absent broker never holds the daemon's passes back, and retries until closed.
 */
export class EventWake {
  private subscription: EventSubscription | null = null;
  private subscribing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private control: DaemonControl | null = null;
  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly bus: EventBus | null,
    private readonly options: EventWakeOptions,
    private readonly logger: Logger,
  ) {}

  /** It has a bus to listen to (without one the daemon only sweeps). */
  get enabled(): boolean {
    return this.bus !== null;
  }

  start(control: DaemonControl): void {
    if (!this.bus || this.closed) return;
    this.control = control;
    this.subscribe();
    this.markStarted();
  }

  /** Resolves once the daemon's loop started and subscribed (false when that attempt failed, or there is no bus). */
  async ready(): Promise<boolean> {
    if (!this.bus) return false;
    await this.started;
    await this.subscribing;
    if (this.subscription) await this.subscription.ready();
    return this.subscription !== null;
  }

  private subscribe(): void {
    if (this.subscribing || this.subscription || this.closed || !this.bus) return;
    const bus = this.bus;
    this.subscribing = (async () => {
      try {
        const subscription = await bus.subscribe({
          group: this.options.group,
          topics: this.options.topics,
          types: this.options.types,
          handler: async (event) => {
            if (!this.options.filter || this.options.filter(event)) this.control?.wake();
          },
        });
        if (this.closed) await subscription.stop();
        else this.subscription = subscription;
      } catch (error) {
        this.logger.warn(
          `cannot subscribe to ${this.options.topics.join(', ')} (${(error as Error).message}); ` +
            `sweeping the catalogue meanwhile and trying again in ${Math.round((this.options.retryMs ?? 10_000) / 1000)} s`,
        );
        if (!this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.subscribe();
          }, this.options.retryMs ?? 10_000);
          this.retryTimer.unref();
        }
      } finally {
        this.subscribing = null;
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.subscribing;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }
}
