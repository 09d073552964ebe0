import { deterministicPath, normalizePrefix, scopePath } from '@tarn/domain';

/** An RSE protocol with what it takes to reach its storage (rse_protocols, extended attributes included). */
export interface SignableProtocol {
  scheme: string;
  hostname: string;
  port: number | null;
  prefix: string;
  extendedAttributes: Record<string, unknown> | null;
}

export const S3_SCHEMES = ['s3', 's3+https', 's3+http'];

const isFalse = (value: unknown) => value === false || value === 0 || (typeof value === 'string' && /^(false|no|0|off)$/i.test(value.trim()));

/** The http(s) endpoint an S3 protocol is reached at, as createStorage computes it. */
function s3Endpoint(protocol: SignableProtocol): URL {
  const attribute = protocol.extendedAttributes?.endpoint_url;
  if (typeof attribute === 'string' && attribute !== '') return new URL(attribute);
  const scheme = protocol.scheme.toLowerCase();
  const tls = scheme === 's3+https' || (scheme === 's3' && !isFalse(protocol.extendedAttributes?.tls));
  return new URL(`${tls ? 'https' : 'http'}://${protocol.hostname}${protocol.port ? `:${protocol.port}` : ''}`);
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : '');
const portOf = (url: URL) => url.port || defaultPort(url.protocol);

/**
 * The S3 protocol of an RSE a URL points into, and the path below the protocol prefix. The URL may be the PFN Tarn
 * lists (`s3+http://host:port/bucket/prefix/path`) or the plain path-style S3 URL (`http://host:port/bucket/...`).
 * Null when no S3 protocol of the RSE has this URL under its prefix.
 */
export function s3TargetOf(url: URL, protocols: readonly SignableProtocol[]): { protocol: SignableProtocol; path: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  for (const protocol of protocols) {
    if (!S3_SCHEMES.includes(protocol.scheme.toLowerCase())) continue;
    const endpoint = s3Endpoint(protocol);
    const asPfn = url.protocol === `${protocol.scheme.toLowerCase()}:` && url.hostname === protocol.hostname && (url.port || null) === (protocol.port ? String(protocol.port) : null);
    const asHttp = url.protocol === endpoint.protocol && url.hostname === endpoint.hostname && portOf(url) === portOf(endpoint);
    if (!asPfn && !asHttp) continue;
    const prefix = normalizePrefix(protocol.prefix);
    const bucket = protocol.extendedAttributes?.bucket;
    const prefixes = typeof bucket === 'string' && bucket !== '' ? [prefix, `/${bucket}${prefix}`] : [prefix];
    for (const candidate of prefixes) {
      if (decoded.startsWith(candidate) && decoded.length > candidate.length) return { protocol, path: decoded.slice(candidate.length) };
    }
  }
  return null;
}

/**
 * The DIDs whose deterministic path (lfn2pfn) on an RSE is `path`, among the given scopes: usually one, none for a
 * path lfn2pfn does not make, and more only for 'identity' paths that several scopes can make (user/jdoe/x is
 * user.jdoe:x and also user:jdoe/x).
 */
export function didsOfDeterministicPath(path: string, algorithm: string, scopes: readonly string[]): { scope: string; name: string }[] {
  const found: { scope: string; name: string }[] = [];
  for (const scope of scopes) {
    const base = `${scopePath(scope)}/`;
    if (!path.startsWith(base)) continue;
    const rest = path.slice(base.length);
    const name = algorithm === 'identity' ? rest : /^[0-9a-f]{2}\/[0-9a-f]{2}\/(.+)$/.exec(rest)?.[1];
    if (name && deterministicPath(scope, name, algorithm) === path) found.push({ scope, name });
  }
  return found;
}
