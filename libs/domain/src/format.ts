const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** Human-readable byte count in SI units (as Rucio's tools print), e.g. 1.5 GB. */
export function formatBytes(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const shown = unit === 0 ? String(value) : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
  return `${sign}${shown} ${UNITS[unit]}`;
}
