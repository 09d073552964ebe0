import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readConfigSection } from '@tarn/catalogue/repositories/config.repository.js';
import { type AppliedTraces, traceRepository } from '@tarn/catalogue/repositories/trace.repository.js';
import { unitOfWork } from '@tarn/catalogue';
import { envNumber } from '@tarn/config';
import { mapYielding } from '../bounded.js';
import { traceOfRead } from './trace-input.js';

/** How often the size of the queue is read again to decide whether traces are still taken. */
const QUEUE_CHECK_MS = 10_000;

/**
 * Client traces (POST /traces), as Rucio's kronos uses them: reads are queued here and applied in batches by the kronos
 * daemon (replicas' and DIDs' last access, so that the reaper's least-recently-used order is real; lifetimes extended
 * on access where the `traces` config section's `extend_lifetime_days` says so).
 */
@Injectable()
export class TraceService {
  private readonly logger = new Logger('traces');
  /** TARN_TRACES_MAX_QUEUED: traces waiting beyond which new ones are dropped (with a warning) until kronos catches up. */
  private readonly maxQueued = envNumber(process.env, 'TARN_TRACES_MAX_QUEUED', 1_000_000, { integer: true, unit: 'traces' });
  private queue = { size: 0, readAt: 0 };
  private droppedSinceWarning = 0;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Queues the reads among these traces; returns how many were queued. Never throws on a malformed trace. */
  async record(raw: unknown[], account: string | null): Promise<number> {
    const now = new Date();
    const reads = (await mapYielding(raw, (t) => traceOfRead(t, account, now))).filter((t) => t !== null);
    if (reads.length === 0) return 0;
    if (Date.now() - this.queue.readAt > QUEUE_CHECK_MS) {
      this.queue = { size: await traceRepository.queued(this.dataSource.manager), readAt: Date.now() };
    }
    if (this.queue.size + reads.length > this.maxQueued) {
      if (this.droppedSinceWarning === 0) {
        this.logger.warn(
          `${this.queue.size} traces wait for kronos (TARN_TRACES_MAX_QUEUED=${this.maxQueued}): new traces are dropped until it catches up; is a kronos running?`,
        );
      }
      this.droppedSinceWarning += reads.length;
      return 0;
    }
    if (this.droppedSinceWarning > 0) this.logger.log(`taking traces again; ${this.droppedSinceWarning} were dropped meanwhile`);
    this.droppedSinceWarning = 0;
    await unitOfWork(this.dataSource, { what: `${reads.length} trace(s)` }, (manager) => traceRepository.insert(manager, reads));
    this.queue.size += reads.length;
    return reads.length;
  }

  /** Applies up to `limit` queued traces in one transaction. */
  async applyBatch(limit: number): Promise<AppliedTraces> {
    return unitOfWork(this.dataSource, { what: 'a batch of traces' }, async (manager) => {
      const extendDays = Number((await readConfigSection(manager, 'traces')).get('extend_lifetime_days') ?? 0);
      return traceRepository.applyBatch(manager, limit, Number.isInteger(extendDays) && extendDays > 0 ? extendDays : 0);
    });
  }
}
