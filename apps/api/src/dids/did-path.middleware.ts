import type { NextFunction, Request, Response } from 'express';

/** What may follow `<scope>/<name>` under /dids (Rucio's `<path:scope_name>/<suffix>` routes). */
const DID_SUFFIXES = new Set(['status', 'files', 'dids', 'meta', 'rules', 'parents', 'associated_rules', 'follow']);
/** First segments under /replicas that are routes of their own, not scopes. */
const REPLICA_ROUTES = new Set(['list', 'bad', 'suspicious', 'rse', 'dids', 'datasets_bulk', 'tombstone', 'quarantine']);
const REPLICA_SUFFIXES = new Set(['datasets', 'datasets_vp']);
/** First segments under /requests that are routes of their own. */
const REQUEST_ROUTES = new Set(['list', 'transfer_limits', 'metrics']);

/**
 * How many trailing segments are a route suffix rather than part of the name; null when the path is not a DID
 * route at all (`/dids/<scope>/dids/search`, `/rules/<id>/history`).
 */
function suffixOf(prefix: string, rest: string[]): string[] | null {
  const last = rest[rest.length - 1];
  const beforeLast = rest[rest.length - 2];
  switch (prefix) {
    case 'dids':
      if (rest.length === 2 && beforeLast === 'dids' && last === 'search') return null;
      if (rest.length >= 3 && beforeLast === 'dids' && last === 'history') return rest.slice(-2);
      if (rest.length >= 3 && beforeLast === 'meta') return rest.slice(-2);
      if (rest.length >= 2 && DID_SUFFIXES.has(last)) return rest.slice(-1);
      return [];
    case 'replicas':
      return rest.length >= 2 && REPLICA_SUFFIXES.has(last) ? rest.slice(-1) : [];
    case 'rules':
      return rest.length >= 2 && last === 'history' ? rest.slice(-1) : null;
    case 'requests':
      return rest.length >= 2 ? rest.slice(-1) : null;
    default:
      return [];
  }
}

/**
 * Rucio routes DIDs as `<path:scope_name>`: a name may contain '/', sent raw or encoded as %2F. Nest routes match
 * one segment per parameter, so a name sent with raw slashes is folded into one encoded segment here, before
 * routing: `/dids/user.jdoe/run/1/file.root/meta` becomes `/dids/user.jdoe/run%2F1%2Ffile.root/meta`.
 * The known suffixes (`/files`, `/meta/<key>`, `/history`, a request's RSE...) stay outside the name, as in Rucio.
 */
export function foldDidPath(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt);
  const match = /^\/(dids|replicas|rules|locks|requests(?:\/history)?)\/(.*)$/.exec(path);
  if (!match) return url;
  const [, route, tail] = match;
  const prefix = route.startsWith('requests') ? 'requests' : route;
  const segments = tail.split('/');
  if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop();
  if (segments.length <= 2) return url;
  const [scope, ...rest] = segments;
  if (prefix === 'replicas' && REPLICA_ROUTES.has(scope)) return url;
  if (prefix === 'requests' && (REQUEST_ROUTES.has(scope) || scope === 'history')) return url;
  if (prefix === 'locks' && scope === 'bulk_locks_for_dids') return url;
  const suffix = suffixOf(prefix, rest);
  if (suffix === null) return url;
  const nameSegments = rest.slice(0, rest.length - suffix.length);
  if (nameSegments.length <= 1) return url;
  let name: string;
  try {
    name = nameSegments.map((segment) => decodeURIComponent(segment)).join('/');
  } catch {
    return url; // malformed %-escape: the router answers 400 for it
  }
  return `/${route}/${scope}/${encodeURIComponent(name)}${suffix.map((s) => `/${s}`).join('')}${query}`;
}

export function didPathMiddleware(req: Request, _res: Response, next: NextFunction): void {
  req.url = foldDidPath(req.url);
  next();
}
