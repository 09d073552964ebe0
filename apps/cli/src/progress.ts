import { formatBytes } from './table.js';

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (cron jobs and pipes see nothing),
 * at most every 100 ms.
 */
export class ProgressBar {
  private done = 0;
  private items = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly stream: { write(text: string): unknown },
    private readonly enabled: boolean,
    private readonly label: string,
    private total: number | null,
    private readonly unit: 'bytes' | 'items' = 'bytes',
    private readonly totalItems: number | null = null,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  add(amount: number): void {
    this.done += amount;
    this.draw(false);
  }

  itemDone(): void {
    this.items++;
    this.draw(true);
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const amount = this.unit === 'bytes' ? formatBytes(this.done) : String(this.done);
    let bar = '';
    let of = '';
    if (this.total !== null && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
      of = ` / ${this.unit === 'bytes' ? formatBytes(this.total) : this.total}`;
    }
    const rate = this.unit === 'bytes' ? ` ${formatBytes(this.done / seconds)}/s` : '';
    const files = this.totalItems !== null ? ` ${this.items}/${this.totalItems} files` : '';
    this.stream.write(`\r\x1b[2K${this.label} ${bar}${amount}${of}${rate}${files}`);
  }

  finish(): void {
    if (!this.enabled) return;
    this.draw(true);
    this.stream.write('\n');
  }
}
