import type { Did } from './names.js';
import { deterministicPath, scopePath } from './lfn2pfn.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const TWO_HEX = /^[0-9a-f]{2}$/;

/**
 * A replica's path on storage as a caller gives it (relative to the protocol prefix; leading '/' dropped), or why it
 * is not one: it must stay below the prefix on every kind of storage, so no empty, '.' or '..' segment and no
 * control character.
 */
export function storagePathOf(path: unknown): { path: string } | { problem: string } {
  if (typeof path !== 'string' || path.replace(/^\/+/, '').length === 0) return { problem: 'a path must not be empty' };
  if (path.length > 4096) return { problem: `a path has at most 4096 characters (this one has ${path.length})` };
  if (CONTROL_CHARACTER.test(path)) return { problem: 'a path must not contain control characters' };
  const relative = path.replace(/^\/+/, '');
  if (relative.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return { problem: "a path must not have an empty, '.' or '..' segment (it would not stay below the RSE's prefix)" };
  }
  return { path: relative };
}

/** The directory of a scope's files on storage (`user.jdoe` -> `user/jdoe/`), under which its explicit paths go. */
export function scopeDirectory(scope: string): string {
  return `${scopePath(scope)}/`;
}

/**
 * The files whose deterministic path (with `algorithm`) is `path`: usually none or one, but Rucio's scope
 * directories (`user.a.b` -> `user/a/b`) let two DIDs share one, which a deletion must not ignore.
 */
export function deterministicOwners(path: string, algorithm = 'hash'): Did[] {
  const segments = path.split('/');
  const owners: Did[] = [];
  const hashed = algorithm === 'hash' || algorithm === 'default';
  for (let k = 1; k < segments.length; k++) {
    const scope = k === 1 ? segments[0] : segments.slice(0, k).join('.');
    if (hashed && !(TWO_HEX.test(segments[k]) && TWO_HEX.test(segments[k + 1] ?? ''))) continue;
    const rest = segments.slice(hashed ? k + 2 : k);
    if (rest.length === 0) continue;
    const name = rest.join('/');
    if (deterministicPath(scope, name, algorithm) === path) owners.push({ scope, name });
  }
  return owners;
}
