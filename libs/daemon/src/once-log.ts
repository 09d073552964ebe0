/** Remembers what was already reported, so a condition that lasts is logged once (bounded memory). */
export class OnceLog {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time `key` is seen (again after the memory filled up and was cleared). */
  first(key: string): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) this.seen.clear();
    this.seen.add(key);
    return true;
  }
}
