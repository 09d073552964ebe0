import { randomBytes } from 'node:crypto';

/**
 * Storage paths are relative to the protocol prefix and '/'-separated (as lfn2pfn makes them). A path is
 * refused, never repaired: a '..' or an absolute path is a bug or an attack, not something to normalise.
 * Returns the problem, or undefined for a clean path.
 */
export function storagePathProblem(path: unknown, kind: 'file' | 'directory'): string | undefined {
  if (typeof path !== 'string') return 'the path is not a string';
  if (kind === 'file' && path === '') return 'the path is empty';
  if (path.includes('\0')) return 'the path contains a NUL character';
  if (path.startsWith('/')) return 'the path is absolute; give it relative to the protocol prefix';
  const segments = splitSegments(path, kind);
  if (segments.some((s) => s === '')) return 'the path has an empty segment (//)';
  if (segments.some((s) => s === '..')) return "the path contains '..'";
  if (segments.some((s) => s === '.')) return "the path contains '.'";
  return undefined;
}

/** The segments of a path already checked with storagePathProblem; a directory may end with '/' or be ''. */
export function splitSegments(path: string, kind: 'file' | 'directory'): string[] {
  if (kind === 'directory') {
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    return trimmed === '' ? [] : trimmed.split('/');
  }
  return path.split('/');
}

/** Writes in progress go to `.tarn-part.<random>` beside their final name; listings leave them out. */
export const TEMPORARY_PREFIX = '.tarn-part.';

export function temporaryName(): string {
  return `${TEMPORARY_PREFIX}${randomBytes(8).toString('hex')}`;
}

export function isTemporaryName(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.startsWith(TEMPORARY_PREFIX);
}
