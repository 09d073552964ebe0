import { DataSource } from 'typeorm';
import { outboxSequenceLastValue, runningTransactionIds } from '@tarn/catalogue/repositories/operations.index.js';

interface Probe {
  seq: number;
  /** Transactions running when the probe was taken; the probe is settled once none of them runs. */
  running: Set<string>;
}

const MAX_PROBES = 256;

/**
 * The highest outbox id up to which every row is settled (committed and visible, or rolled back): the
 * end of the log for the PostgreSQL bus. Outbox ids are drawn when rows are inserted, not when they
 * commit, so a reader that simply took `id > last` could pass over an id whose transaction commits later
 * and lose that event. Instead: read the sequence's last value S, then the transactions running in this
 * database. A writer that drew an id <= S already had its transaction id (appendEvents makes sure of
 * it), so it is among them unless it already ended; once none of them runs any more, all ids <= S are
 * settled. A long write transaction in the database delays the horizon (never completeness or order).
 */
export class OutboxHorizon {
  private safe = 0;
  private probes: Probe[] = [];
  private inflight: Promise<{ safe: number; pending: boolean }> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Last known safe id, without asking the database. */
  get current(): number {
    return this.safe;
  }

  /** Takes a new probe and settles older ones; `pending` says a later call will likely move the horizon. */
  advance(): Promise<{ safe: number; pending: boolean }> {
    this.inflight ??= this.probe().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async probe(): Promise<{ safe: number; pending: boolean }> {
    // Two statements, in this order: the running transactions must be read after the sequence.
    const seq = await outboxSequenceLastValue(this.dataSource.manager);
    const running = new Set(await runningTransactionIds(this.dataSource.manager));
    this.probes = this.probes.filter((p) => {
      for (const xid of p.running) if (running.has(xid)) return true;
      this.safe = Math.max(this.safe, p.seq);
      return false;
    });
    if (seq > this.safe) {
      if (running.size === 0) {
        this.safe = seq;
        this.probes = [];
      } else {
        const probe = { seq, running };
        const last = this.probes[this.probes.length - 1];
        if (last && last.seq === seq) {
          // Either proof will do; keep the one that settles first (the smaller set still running).
          if (running.size < last.running.size) this.probes[this.probes.length - 1] = probe;
        } else if (this.probes.length >= MAX_PROBES) this.probes[this.probes.length - 1] = probe;
        else this.probes.push(probe);
      }
    }
    return { safe: this.safe, pending: this.probes.length > 0 };
  }
}
