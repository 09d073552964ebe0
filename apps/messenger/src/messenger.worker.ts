import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { pgClientConfig, translateDatabaseError } from '@tarn/catalogue';
import type { QueryRunner } from 'typeorm';
import {
  countPendingOutbox,
  deleteOutboxOlderThan,
  deleteProcessedEventsOlderThan,
  deleteSentOutbox,
  takeOutboxBatch,
  type OutboxRow,
} from '@tarn/catalogue/repositories/operations.index.js';
import type { DaemonContext, DaemonControl, DaemonDefinition, DaemonMetrics, PassResult } from '@tarn/daemon';
import { OutboxSession, silentLogger, type Logger } from '@tarn/events';
import type { OutboxPublisher } from './kafka-outbox.publisher.js';
import type { MessengerSettings } from './messenger.config.js';

export const MESSENGER = 'messenger';

/** Thrown when the publisher fails: the pass is retried by the runner with backoff (one log line per outage). */
export class PublishError extends Error {
  constructor(target: string, rows: number, cause: unknown) {
    super(`cannot publish ${rows} outbox event(s) to ${target}: ${(cause as Error).message ?? cause}; they stay pending and are retried`, {
      cause,
    });
    this.name = 'PublishError';
  }
}

/**
 * Publishes committed outbox rows, oldest first, to Kafka (or, on the PostgreSQL bus, where the outbox is
 * the log, only prunes it). One pass = one batch: claim rows FOR UPDATE SKIP LOCKED (two messengers never
 * publish the same rows, and never a later row of a key whose earlier row the other one holds), send them
 * in one acknowledged request, mark them sent, commit. A crash between send and commit republishes the
 * batch: delivery is at least once, consumers deduplicate by outbox id.
 */
export class MessengerWorker implements DaemonDefinition {
  readonly name = MESSENGER;
  readonly intervalMs: number;
  readonly backoffInitialMs = 200;
  readonly backoffMaxMs = 5_000;
  private session: OutboxSession | null = null;
  private lastPruneAt = 0;
  private published: Counter<'bus'> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher | null,
    private readonly settings: MessengerSettings,
    private readonly logger: Logger = silentLogger,
    metrics?: DaemonMetrics,
  ) {
    this.intervalMs = settings.idleIntervalMs;
    if (metrics) this.registerMetrics(metrics);
  }

  /** Wakes the loop at every commit that wrote outbox rows (NOTIFY tarn_outbox). */
  attach(control: DaemonControl): void {
    if (!this.publisher) return;
    this.session = new OutboxSession(pgClientConfig(this.dataSource, 'tarn-messenger'), this.logger);
    this.session.onNotify(() => control.wake());
    this.session.start();
  }

  /** Ready once Kafka answers (the producer connected); on the PostgreSQL bus there is nothing to reach. */
  async ready(): Promise<boolean> {
    await this.publisher?.connect();
    return true;
  }

  /**
   * Publishes batches while they come full (up to about a second, so heartbeats and stop requests are
   * heard). Pipelined: the next batch is taken from the database while Kafka acknowledges the current one,
   * but it is sent only after that acknowledgement, and each batch commits only once acknowledged.
   */
  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const pruned = await this.pruneIfDue();
    if (!this.publisher) return { didWork: pruned >= this.settings.pruneBatch, items: 0 };
    const publisher = this.publisher;
    const { batchSize } = this.settings;
    const deadline = Date.now() + 1000;
    let published = 0;
    let current: OpenBatch | null = await this.take([]);
    try {
      while (current && current.rows.length > 0) {
        const more: boolean = current.rows.length === batchSize && !ctx.stopping && Date.now() < deadline;
        const next: Promise<OpenBatch> | null = more ? this.take(current.rows.map((r) => r.id)) : null;
        next?.catch(() => undefined);
        try {
          await publisher.publish(current.rows);
        } catch (error) {
          await (await next?.catch(() => null))?.rollback();
          throw new PublishError(publisher.target, current.rows.length, error);
        }
        try {
          await current.commit();
        } catch (error) {
          await (await next?.catch(() => null))?.rollback();
          throw error;
        }
        published += current.rows.length;
        current = next ? await next : null;
      }
    } finally {
      await current?.rollback();
    }
    this.published?.inc({ bus: 'kafka' }, published);
    if (published > 0 && ctx.stopping) ctx.logger.log(`stopping after publishing ${published} event(s)`);
    return { didWork: published > 0 || pruned >= this.settings.pruneBatch, items: published };
  }

  /** Opens a transaction and takes a batch in it (marked sent, uncommitted). */
  private async take(ownInFlight: number[]): Promise<OpenBatch> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      const rows = await takeOutboxBatch(runner.manager, this.settings.batchSize, ownInFlight);
      return new OpenBatch(runner, rows);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      throw translateDatabaseError(error, 'taking outbox events to publish');
    }
  }

  /** Deletes rows past the retention period (sent rows on Kafka; any row on the PostgreSQL bus) and old dedup marks. */
  private async pruneIfDue(): Promise<number> {
    if (Date.now() - this.lastPruneAt < this.settings.pruneIntervalMs) return 0;
    const manager = this.dataSource.manager;
    const { retentionSeconds, pruneBatch } = this.settings;
    const pruned = this.publisher
      ? await deleteSentOutbox(manager, retentionSeconds, pruneBatch)
      : await deleteOutboxOlderThan(manager, retentionSeconds, pruneBatch);
    await deleteProcessedEventsOlderThan(manager, retentionSeconds, pruneBatch);
    // Come back at once while there is more to prune.
    if (pruned < pruneBatch) this.lastPruneAt = Date.now();
    if (pruned > 0) this.logger.log(`pruned ${pruned} outbox row(s) older than ${Math.round(retentionSeconds / 3600)} h`);
    return pruned;
  }

  private registerMetrics(metrics: DaemonMetrics): void {
    const registers = [metrics.registry];
    this.published =
      (metrics.registry.getSingleMetric('tarn_outbox_published_total') as Counter<'bus'> | undefined) ??
      new Counter({ name: 'tarn_outbox_published_total', help: 'Outbox events published by the messenger', labelNames: ['bus'], registers });
    if (this.publisher && !metrics.registry.getSingleMetric('tarn_outbox_pending')) {
      const dataSource = this.dataSource;
      new Gauge({
        name: 'tarn_outbox_pending',
        help: 'Outbox events committed and not yet published',
        registers,
        async collect() {
          this.set(await countPendingOutbox(dataSource.manager).catch(() => NaN));
        },
      });
    }
  }

  async close(): Promise<void> {
    await this.session?.close();
    this.session = null;
    await this.publisher?.close();
  }
}

/** A batch taken in a transaction of its own, committed once published or rolled back. */
class OpenBatch {
  private done = false;

  constructor(
    private readonly runner: QueryRunner,
    readonly rows: OutboxRow[],
  ) {}

  async commit(): Promise<void> {
    this.done = true;
    try {
      await this.runner.commitTransaction();
    } finally {
      await this.runner.release();
    }
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.runner.rollbackTransaction();
    } catch {
      // the connection is gone: so is the transaction
    } finally {
      await this.runner.release();
    }
  }
}
