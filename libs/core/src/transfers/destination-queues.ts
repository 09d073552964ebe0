/** What a queue needs of a leased transfer. */
export interface QueuedTransfer {
  token: string;
  destRseId: string;
}

/**
 * A worker's leased transfers waiting for a copy lane, one queue per destination RSE, so that a slow storage
 * does not hold the copies to a fast one behind it: a free lane takes the next transfer of the destination with
 * the fewest copies running (of those with one waiting), each destination's in lease order. Lanes thus share out
 * evenly between the destinations that have work, and all go to one when it alone has.
 */
export class DestinationQueues<T extends QueuedTransfer> {
  private readonly waitingByDestination = new Map<string, T[]>();
  private readonly runningByDestination = new Map<string, number>();
  private waitingCount = 0;

  /** @param saturation transfers waiting for one destination at which the next lease leaves it out */
  constructor(private readonly saturation: number) {}

  get waiting(): number {
    return this.waitingCount;
  }

  push(transfers: readonly T[]): void {
    for (const transfer of transfers) {
      const queue = this.waitingByDestination.get(transfer.destRseId);
      if (queue) queue.push(transfer);
      else this.waitingByDestination.set(transfer.destRseId, [transfer]);
    }
    this.waitingCount += transfers.length;
  }

  /** The next transfer to copy, counted as running until `done`; undefined when none waits. */
  take(): T | undefined {
    let chosen: T[] | undefined;
    let fewest = Infinity;
    for (const [destination, queue] of this.waitingByDestination) {
      const running = this.runningByDestination.get(destination) ?? 0;
      if (queue.length > 0 && running < fewest) [chosen, fewest] = [queue, running];
    }
    const transfer = chosen?.shift();
    if (!transfer) return undefined;
    this.waitingCount--;
    this.runningByDestination.set(transfer.destRseId, fewest + 1);
    return transfer;
  }

  done(transfer: T): void {
    this.runningByDestination.set(transfer.destRseId, (this.runningByDestination.get(transfer.destRseId) ?? 1) - 1);
  }

  /** Destinations with `saturation` transfers or more waiting: the next lease need not bring them more. */
  saturated(): string[] {
    return [...this.waitingByDestination].filter(([, queue]) => queue.length >= this.saturation).map(([destination]) => destination);
  }

  /** Whether a destination has copies running and none waiting: its lanes will soon idle. */
  starving(): boolean {
    for (const [destination, running] of this.runningByDestination) {
      if (running > 0 && (this.waitingByDestination.get(destination)?.length ?? 0) === 0) return true;
    }
    return false;
  }

  /** The tokens of the transfers waiting. */
  tokens(): string[] {
    return [...this.waitingByDestination.values()].flatMap((queue) => queue.map((t) => t.token));
  }

  /** Removes the waiting transfers whose lease was asked to be renewed (`asked`) but was not (`held`); returns how many. */
  drop(asked: ReadonlySet<string>, held: ReadonlySet<string>): number {
    let dropped = 0;
    for (const [destination, queue] of this.waitingByDestination) {
      const kept = queue.filter((t) => held.has(t.token) || !asked.has(t.token));
      dropped += queue.length - kept.length;
      this.waitingByDestination.set(destination, kept);
    }
    this.waitingCount -= dropped;
    return dropped;
  }
}
