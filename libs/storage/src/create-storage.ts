import { normalizePrefix } from '@tarn/domain';
import { PosixStorage } from './posix.protocol.js';
import { S3Storage } from './s3.protocol.js';
import { StorageMisconfigured, UnsupportedStorageOperation, type StorageLocation } from './storage.errors.js';
import type { StorageProtocol } from './storage-protocol.js';
import { storageAudienceProblem, type StorageTokenSource, storageTokenSourceFromEnv } from './storage-tokens.js';
import { WebDavStorage } from './webdav.protocol.js';
import { XrootdStorage } from './xrootd.protocol.js';

/** An RSE protocol as the catalogue stores it (rse_protocols). */
export interface StorageProtocolConfig {
  scheme: string;
  hostname: string;
  port?: number | null;
  prefix: string;
  extendedAttributes?: Record<string, unknown> | null;
}

export interface CreateStorageOptions {
  /** The RSE's name: in error messages, and for per-RSE credentials in the environment. */
  rse?: string;
  /** Where TARN_S3_* / TARN_WEBDAV_* credentials are looked up (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where bearer tokens of a storage audience come from (default: token exchange configured by TARN_OIDC_*). */
  tokens?: StorageTokenSource;
  /** Passed to the implementation (part sizes, timeouts, concurrency). */
  tuning?: {
    s3?: Partial<ConstructorParameters<typeof S3Storage>[0]>;
    webdav?: Partial<ConstructorParameters<typeof WebDavStorage>[0]>;
    xrootd?: Partial<ConstructorParameters<typeof XrootdStorage>[0]>;
  };
}

export const SUPPORTED_SCHEMES = ['file', 'posix', 's3', 's3+https', 's3+http', 'davs', 'https', 'dav', 'http', 'root', 'roots'] as const;

/**
 * The StorageProtocol for an RSE protocol, Rucio style:
 * - file, posix: the local (or mounted) directory `prefix`.
 * - s3, s3+https, s3+http: `<http|https>://hostname:port`, bucket = extended attribute `bucket`, else the
 *   first segment of the prefix (the rest is the key prefix). `s3` means https unless the attribute `tls` is
 *   false. Attributes: access_key_id, secret_access_key, session_token, region, path_style (default true),
 *   endpoint_url (overrides scheme/host/port).
 * - davs, https / dav, http: `https|http://hostname:port/prefix/`. Attributes: username, password, bearer_token; or
 *   token_audience (with token_scope): a bearer token for that audience, which Tarn obtains by token exchange
 *   (RFC 8693) with its own OIDC client (TARN_OIDC_*; see docs/oidc.md) and renews as it expires. A wildcard audience
 *   is refused.
 * - root, roots: `root://hostname:port//prefix/` through the XRootD client library (roots: TLS, the server's
 *   certificate checked against X509_CERT_DIR). Attribute: bearer_token (given to XrdCl as BEARER_TOKEN); other
 *   XRootD security (X509_USER_PROXY, krb5, sss keytabs) comes from the environment, as for xrdcp.
 * Credentials not in the attributes come from the environment: TARN_S3_<RSE>_ACCESS_KEY_ID, then
 * TARN_S3_ACCESS_KEY_ID (likewise SECRET_ACCESS_KEY, SESSION_TOKEN, REGION; TARN_WEBDAV_<RSE>_USERNAME,
 * PASSWORD, BEARER_TOKEN; TARN_XROOTD_<RSE>_BEARER_TOKEN), <RSE> upper case with other characters than A-Z0-9
 * as '_'; for S3 finally the AWS SDK's own chain (AWS_ACCESS_KEY_ID...).
 */
export function createStorage(protocol: StorageProtocolConfig, options: CreateStorageOptions = {}): StorageProtocol {
  const scheme = protocol.scheme.toLowerCase();
  const attributes = protocol.extendedAttributes ?? {};
  const env = options.env ?? process.env;
  const setting = (kind: 'S3' | 'WEBDAV' | 'XROOTD', attribute: string): string | undefined => {
    const value = attributes[attribute];
    if (value !== undefined && value !== null && value !== '') return String(value);
    const name = attribute.toUpperCase();
    const rse = options.rse ? options.rse.toUpperCase().replace(/[^A-Z0-9]/g, '_') : undefined;
    return (rse ? env[`TARN_${kind}_${rse}_${name}`] : undefined) || env[`TARN_${kind}_${name}`] || undefined;
  };
  const prefix = normalizePrefix(protocol.prefix);
  const authority = `${protocol.hostname}${protocol.port ? `:${protocol.port}` : ''}`;

  switch (scheme) {
    case 'file':
    case 'posix':
      return new PosixStorage({ root: prefix, endpoint: `file://${protocol.hostname ?? ''}${prefix}`, rse: options.rse });

    case 's3':
    case 's3+https':
    case 's3+http': {
      const tls = scheme === 's3+https' || (scheme === 's3' && !isFalse(attributes.tls));
      const endpointUrl = setting('S3', 'endpoint_url') ?? `${tls ? 'https' : 'http'}://${authority}`;
      const parts = prefix.split('/').filter(Boolean);
      const bucket = setting('S3', 'bucket') ?? parts.shift();
      if (!bucket) {
        throw new StorageMisconfigured(location(scheme, `${endpointUrl}${prefix}`, options.rse), 'no bucket: set the extended attribute "bucket" or start the prefix with it (/bucket/path)');
      }
      const keyPrefix = parts.length > 0 ? `${parts.join('/')}/` : '';
      return new S3Storage({
        endpointUrl,
        bucket,
        keyPrefix,
        region: setting('S3', 'region'),
        accessKeyId: setting('S3', 'access_key_id'),
        secretAccessKey: setting('S3', 'secret_access_key'),
        sessionToken: setting('S3', 'session_token'),
        forcePathStyle: !isFalse(attributes.path_style),
        rse: options.rse,
        ...options.tuning?.s3,
      });
    }

    case 'davs':
    case 'https':
    case 'dav':
    case 'http': {
      const tls = scheme === 'davs' || scheme === 'https';
      const baseUrl = `${tls ? 'https' : 'http'}://${authority}${prefix}`;
      const audience = attributes.token_audience;
      let tokens: ConstructorParameters<typeof WebDavStorage>[0]['tokens'];
      if (audience !== undefined && audience !== null && audience !== '') {
        const problem = storageAudienceProblem(audience);
        if (problem) throw new StorageMisconfigured(location('webdav', baseUrl, options.rse), problem);
        const source = options.tokens ?? storageTokenSourceFromEnv(env);
        if (!source) {
          throw new StorageMisconfigured(
            location('webdav', baseUrl, options.rse),
            `it wants bearer tokens for the audience '${audience}', but this Tarn has no OIDC client to get them: set TARN_OIDC_ISSUERS, TARN_OIDC_AUDIENCE, TARN_OIDC_CLIENT_ID and TARN_OIDC_CLIENT_SECRET (docs/oidc.md)`,
          );
        }
        const scope = typeof attributes.token_scope === 'string' && attributes.token_scope.trim() ? attributes.token_scope.trim() : undefined;
        tokens = { source, audience: String(audience), scope };
      }
      return new WebDavStorage({
        baseUrl,
        tokens,
        username: setting('WEBDAV', 'username'),
        password: setting('WEBDAV', 'password'),
        bearerToken: setting('WEBDAV', 'bearer_token'),
        rse: options.rse,
        ...options.tuning?.webdav,
      });
    }

    case 'root':
    case 'roots': {
      const token = setting('XROOTD', 'bearer_token');
      if (attributes.token_audience !== undefined && attributes.token_audience !== null && attributes.token_audience !== '') {
        throw new StorageMisconfigured(
          location('xrootd', `${scheme}://${authority}/${prefix}`, options.rse),
          'token_audience (tokens by exchange) is for WebDAV protocols; give an XRootD protocol a bearer_token attribute, or the environment XRootD reads (BEARER_TOKEN_FILE, X509_USER_PROXY)',
        );
      }
      return new XrootdStorage({
        scheme,
        hostname: protocol.hostname,
        port: protocol.port,
        prefix,
        rse: options.rse,
        ...(token ? { env: { BEARER_TOKEN: token } } : {}),
        ...options.tuning?.xrootd,
      });
    }

    default:
      throw new UnsupportedStorageOperation(
        location(scheme, `${scheme}://${authority}${prefix}`, options.rse),
        `the scheme '${protocol.scheme}'`,
        `Tarn's storage protocols are: ${SUPPORTED_SCHEMES.join(', ')}. Add a protocol with one of them to the RSE.`,
      );
  }
}

function isFalse(value: unknown): boolean {
  return value === false || value === 0 || (typeof value === 'string' && /^(false|no|0|off)$/i.test(value.trim()));
}

function location(protocol: string, endpoint: string, rse: string | undefined): StorageLocation {
  return { ...(rse ? { rse } : {}), protocol, endpoint };
}
