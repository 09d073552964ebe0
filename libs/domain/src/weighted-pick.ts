/** Picks one item with probability proportional to its weight; uniformly when all weights are 0. */
export function weightedPick<T>(items: readonly T[], weightOf: (item: T) => number, random: () => number): T {
  if (items.length === 0) throw new RangeError('weightedPick needs at least one item');
  const total = items.reduce((sum, item) => sum + weightOf(item), 0);
  if (!(total > 0)) return items[Math.min(items.length - 1, Math.floor(random() * items.length))];
  let pick = random() * total;
  let last = items[0];
  for (const item of items) {
    const weight = weightOf(item);
    if (weight <= 0) continue;
    last = item;
    pick -= weight;
    if (pick < 0) return item;
  }
  return last;
}
