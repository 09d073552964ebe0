import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { pgClientConfig } from './pg-client-config.js';

/** Errors of sockets that never reached, or lost, the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATEs of a server going away or not yet there: admin_shutdown, crash_shutdown, cannot_connect_now (class 08 too). */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03']);
/** What node-postgres says when a connection dies under it, without a code. */
const GONE_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /not queryable/i, /connection ended unexpectedly/i];

/**
 * The error looks like a database that cannot be reached (down, restarting, unreachable) rather than a wrong statement.
 * Other servers fail the same way (a refused S3 or Kafka connection): where an error may come from elsewhere, ask
 * CatalogueOutage.check, which asks the database.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0) {
    const e = pending.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { code, message, driverError, cause, errors } = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_GONE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && GONE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    pending.push(driverError, cause, ...(Array.isArray(errors) ? errors : []));
  }
  return false;
}

export interface OutageLogger {
  log(message: string): void;
  error(message: string): void;
}

const consoleOutageLogger: OutageLogger = {
  log: (message) => console.log(`${new Date().toISOString()} [catalogue] ${message}`),
  error: (message) => console.error(`${new Date().toISOString()} [catalogue] ${message}`),
};

/**
 * Whether this process can reach its catalogue database. The first part of Tarn that fails to reach it reports the
 * outage, which is logged once for the whole process; from then on the API answers 503 DatabaseUnavailable, the
 * daemons wait here, and one probe a second tells when the database answers again (logged once as well). Nothing is
 * lost meanwhile: a unit of work that did not commit is not acknowledged, and is done again once the database is back.
 */
export class CatalogueOutage {
  private static readonly byDataSource = new WeakMap<DataSource, CatalogueOutage>();

  /** The one outage watch of a DataSource (every part of a process that shares it shares this). */
  static of(dataSource: DataSource): CatalogueOutage {
    let outage = CatalogueOutage.byDataSource.get(dataSource);
    if (!outage) CatalogueOutage.byDataSource.set(dataSource, (outage = new CatalogueOutage(dataSource)));
    return outage;
  }

  private downSince: number | null = null;
  private probe: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: OutageLogger = consoleOutageLogger,
    private readonly probeIntervalMs = 1000,
  ) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  /**
   * True when `error` means the catalogue database cannot be reached: it looks so, and the database does not answer a
   * connection of its own (so a refused S3 or Kafka connection is not taken for it). The first report of an outage
   * logs it and starts probing.
   */
  async check(error: unknown): Promise<boolean> {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.downSince !== null) return true;
    if (await this.answers()) return false;
    if (this.downSince === null) {
      this.downSince = Date.now();
      const reason = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
      this.logger.error(`the catalogue database does not answer (${reason}): the API answers 503 DatabaseUnavailable and the daemons wait until it is back`);
      this.scheduleProbe();
    }
    return true;
  }

  /** Resolves at once when the database is reachable, else once it answers again (or `signal` aborts, or the DataSource closes). */
  whenAvailable(signal?: AbortSignal): Promise<void> {
    if (this.downSince === null || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private scheduleProbe(): void {
    this.probe = setTimeout(() => void this.runProbe(), this.probeIntervalMs);
    this.probe.unref();
  }

  /** One connection of its own (not from the pool, which may be full or hold dead connections) and SELECT 1. */
  private async answers(): Promise<boolean> {
    const client = new Client({ ...pgClientConfig(this.dataSource, 'tarn-probe'), connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async runProbe(): Promise<void> {
    this.probe = null;
    if (!this.dataSource.isInitialized) return this.recovered(null);
    if (await this.answers()) this.recovered(Date.now() - this.downSince!);
    else this.scheduleProbe();
  }

  private recovered(afterMs: number | null): void {
    if (afterMs !== null) this.logger.log(`the catalogue database answers again after ${Math.round(afterMs / 1000)} s: the API and the daemons resume`);
    this.downSince = null;
    for (const waiter of [...this.waiters]) waiter();
  }
}
