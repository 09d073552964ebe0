import { Client, ClientConfig } from 'pg';
import { isDatabaseUnavailable } from '@tarn/catalogue';
import { OUTBOX_CHANNEL } from '../outbox.js';
import { silentLogger, type Logger } from '../logger.js';

/**
 * One dedicated PostgreSQL session that LISTENs on the outbox channel (and may hold session-level advisory
 * locks). Reconnects by itself after a lost connection; listeners hear about it, since notifications and
 * locks of the old session are gone.
 */
export class OutboxSession {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private closed = false;
  private readonly notifyListeners = new Set<() => void>();
  private readonly lostListeners = new Set<() => void>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failing = false;
  /** The session's queries, one after the other: a pg Client runs one query at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: ClientConfig,
    private readonly logger: Logger = silentLogger,
    private readonly channel: string = OUTBOX_CHANNEL,
    private readonly reconnectDelayMs = 1000,
  ) {}

  /** Called on every NOTIFY, and once after each (re)connection (notifications may have been missed). */
  onNotify(listener: () => void): () => void {
    this.notifyListeners.add(listener);
    return () => this.notifyListeners.delete(listener);
  }

  /** Called when the session is lost (its advisory locks are released by the server). */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** Connects (once; concurrent callers share the attempt) and LISTENs; rejects if the database is unreachable. */
  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error('the outbox session is closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Keeps trying to connect in the background until it succeeds or the session is closed. */
  start(): void {
    this.connect().catch(() => this.scheduleReconnect());
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const run = async (): Promise<T[]> => {
      const client = await this.connect();
      const result = await client.query(sql, params);
      return result.rows as T[];
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async open(): Promise<Client> {
    const client = new Client(this.config);
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client));
    client.on('notification', () => this.notify());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      // A database that does not answer is logged once for the process (CatalogueOutage), not here.
      if (!this.failing && !isDatabaseUnavailable(error)) this.logger.warn(`cannot LISTEN ${this.channel} (${(error as Error).message}); retrying`);
      this.failing = this.failing || !isDatabaseUnavailable(error);
      throw error;
    }
    if (this.failing) this.logger.log(`listening on ${this.channel} again`);
    this.failing = false;
    this.client = client;
    this.notify();
    return client;
  }

  private lose(client: Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    for (const listener of this.lostListeners) listener();
    if (!this.closed) {
      if (!isDatabaseUnavailable(error)) this.logger.warn(`lost the ${this.channel} listener connection; reconnecting`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start();
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }

  private notify(): void {
    for (const listener of this.notifyListeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
