import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { appendEvents, tarnEvent, type TarnEvent, type AnyEventEnvelope, type EventBus, type EventDelivery, type SubscribeOptions, type Topic } from '@tarn/events';

/** Commits one unit of work that writes `count` did.created events for `key` (scope `test`, name = key). */
export async function commitDidEvents(dataSource: DataSource, key: string, count = 1, tag = ''): Promise<void> {
  await unitOfWork(dataSource, { what: `events for ${key}` }, async (manager) => {
    await appendEvents(
      manager,
      Array.from({ length: count }, (_, i) =>
        tarnEvent('did.created', { scope: 'test', name: key, didType: 'F', account: `${tag}${i}`, bytes: i }, key),
      ),
    );
  });
}

/** Writes `perKey` events for each of `keys` keys in transactions of `perTx`, keys interleaved; returns how many. */
export async function writeInterleaved(dataSource: DataSource, keys: number, perKey: number, perTx = 10, keyPrefix = 'k'): Promise<number> {
  const events: TarnEvent[] = [];
  for (let i = 0; i < perKey; i++) {
    for (let k = 0; k < keys; k++) {
      const key = `${keyPrefix}${k}`;
      events.push(tarnEvent('did.created', { scope: 'test', name: key, didType: 'F', account: 'root', bytes: i }, key));
    }
  }
  for (let i = 0; i < events.length; i += perTx) {
    await unitOfWork(dataSource, { what: 'test events' }, (manager) => appendEvents(manager, events.slice(i, i + perTx)));
  }
  return events.length;
}

export async function outboxIds(dataSource: DataSource, where = 'TRUE'): Promise<number[]> {
  const rows: { id: string }[] = await dataSource.query(`SELECT id FROM outbox_messages WHERE ${where} ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

export interface Received {
  event: AnyEventEnvelope;
  delivery: EventDelivery;
  at: number;
}

/** Subscribes a group and records what it receives; `waitFor(n)` resolves once n events (or distinct ids) arrived. */
export class Collector {
  readonly received: Received[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  static async subscribe(bus: EventBus, options: Omit<SubscribeOptions, 'handler'> & { handler?: SubscribeOptions['handler'] }) {
    const collector = new Collector();
    const subscription = await bus.subscribe({
      ...options,
      handler: async (event, delivery) => {
        await options.handler?.(event, delivery);
        collector.received.push({ event, delivery, at: Date.now() });
        collector.check();
      },
    });
    return { collector, subscription };
  }

  distinctIds(): Set<number> {
    return new Set(this.received.map((r) => r.event.id));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `check` holds; rejects after `timeoutMs` saying what arrived. */
  until(check: (c: Collector) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${what}: not reached within ${timeoutMs} ms (received ${this.received.length}, ${this.distinctIds().size} distinct)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ check: () => check(this), resolve: done });
    });
  }

  waitForDistinct(count: number, timeoutMs = 30_000): Promise<void> {
    return this.until((c) => c.distinctIds().size >= count, timeoutMs, `${count} distinct events`);
  }

  /** Per key, the ids in the order first received; throws if a key's first receipts are out of order. */
  assertPerKeyOrder(): void {
    const seen = new Set<number>();
    const lastByKey = new Map<string, number>();
    for (const { event } of this.received) {
      if (seen.has(event.id)) continue; // a redelivery: already applied
      seen.add(event.id);
      const last = lastByKey.get(event.key) ?? 0;
      if (event.id < last) throw new Error(`key ${event.key}: event ${event.id} first arrived after ${last}`);
      lastByKey.set(event.key, event.id);
    }
  }
}

export const ALL: Topic[] = ['tarn.did', 'tarn.rule', 'tarn.replica', 'tarn.transfer', 'tarn.deletion'];
