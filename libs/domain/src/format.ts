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
  const shown = unit === 0 ? String(Math.round(value)) : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
  return `${sign}${shown} ${UNITS[unit]}`;
}

const GUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** A file GUID as the catalogue keeps it (a dashed lower-case UUID), from either of Rucio's spellings; null if it is none. */
export function normalizeGuid(value: string): string | null {
  if (!GUID.test(value)) return null;
  return value.replace(/-/g, '').toLowerCase().replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

/** A GUID as Rucio writes it on the wire: 32 lower-case hex digits (the stock CLI re-inserts the dashes). */
export function guidWire(guid: string | null | undefined): string | null {
  return guid ? guid.replace(/-/g, '').toLowerCase() : null;
}

/** A `*` wildcard as a SQL LIKE pattern: `*` any run of characters; LIKE's own `%`, `_` and `\\` taken literally. */
export function wildcardPattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}
