import { Client, ClientConfig } from 'pg';
import { RSE_CHANGED_CHANNEL } from '@tarn/catalogue/repositories/rse.repository.js';

/** After a failed or lost connection, the next start() waits this long before connecting again. */
const RETRY_AFTER_MS = 5_000;

/**
 * `LISTEN tarn_rse_changed` on a dedicated connection, started on demand. `onChange` runs for every
 * notification, and also when listening starts or the connection is lost (changes may have been missed
 * meanwhile), so that a cache relying on it is never older than its own TTL.
 */
export class RseChangeListener {
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly config: () => ClientConfig,
    private readonly onChange: () => void,
  ) {}

  get listening(): boolean {
    return this.client !== null && this.connecting === null;
  }

  /** Starts listening in the background unless already listening, closed, or waiting to retry. */
  start(): void {
    if (this.closed || this.client || this.connecting || Date.now() < this.retryAt) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = null;
    });
  }

  /** Resolves once listening (or once the attempt failed); for tests and orderly start-up. */
  async ready(): Promise<boolean> {
    this.start();
    await this.connecting;
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config());
    client.on('notification', (message) => {
      if (message.channel === RSE_CHANGED_CHANNEL) this.onChange();
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${RSE_CHANGED_CHANNEL}`);
    } catch {
      this.retryAt = Date.now() + RETRY_AFTER_MS;
      await client.end().catch(() => undefined);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.onChange();
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.retryAt = Date.now() + RETRY_AFTER_MS;
    client.end().catch(() => undefined);
    this.onChange();
  }
}
