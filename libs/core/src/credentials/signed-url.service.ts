import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Forbidden, formatDid, InvalidInput, NotFound, QuotaExceeded } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { replicaRepository } from '@tarn/catalogue/repositories/replica.repository.js';
import { listRseProtocols } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { listScopes } from '@tarn/catalogue/repositories/scope.repository.js';
import { findReplicasAtPath } from '@tarn/catalogue/repositories/signed-url.repository.js';
import { createStorage, type PresignMethod } from '@tarn/storage';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { didsOfDeterministicPath, S3_SCHEMES, s3TargetOf, type SignableProtocol } from './signed-url-target.js';

export interface SignUrlRequest {
  rse: string;
  /** Rucio's svc: gcs (Rucio's default), s3 or swift. Tarn signs s3 only. */
  service?: string;
  /** read (default), write or delete. Tarn signs read and write. */
  operation?: string;
  url: string;
  /** Seconds, default 600 (as Rucio); 1 to 604800 (7 days, the S3 limit). */
  lifetime?: number | string | null;
}

const OPERATIONS: Record<string, PresignMethod> = { read: 'GET', write: 'PUT' };
const MAX_LIFETIME = 7 * 24 * 3600;

const unsupported = (message: string, details: Record<string, unknown> = {}) => new InvalidInput(message, { rucioClass: 'UnsupportedOperation', details });

/**
 * Rucio's signed URLs (GET /credentials/signurl): a URL of an object on an RSE's S3 storage that anyone can GET
 * (op=read) or PUT (op=write) until it expires, signed with the credentials of the RSE's protocol.
 *
 * Who may sign: Rucio lets only root (or accounts with a sign-* attribute) sign. Tarn derives the DID the URL stands
 * for, so that users can read and upload their own data: with the RSE's lfn2pfn on a deterministic RSE (the path
 * must be one lfn2pfn makes for some scope), from the replica registered at that path on a non-deterministic one.
 * read: the issuer may read the DID's scope; write: the issuer may write in the scope and the RSE takes writes.
 * A URL no DID can be derived from (another path on the bucket) is for administrators only.
 */
@Injectable()
export class SignedUrlService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async signUrl(issuer: Issuer, request: SignUrlRequest): Promise<string> {
    const service = (request.service ?? 'gcs').toLowerCase();
    const operation = (request.operation ?? 'read').toLowerCase();
    if (!['gcs', 's3', 'swift'].includes(service)) {
      throw unsupported(`Unknown service '${request.service}': svc is gcs, s3 or swift (Tarn signs s3 only).`, { service });
    }
    if (service !== 's3') {
      throw unsupported(
        `Tarn signs URLs of S3 storage only, not ${service === 'gcs' ? 'Google Cloud Storage (gcs, the default when svc is not given)' : 'OpenStack Swift'}: ` +
          'pass svc=s3 with a URL on an S3 protocol of the RSE.',
        { service },
      );
    }
    if (!['read', 'write', 'delete'].includes(operation)) {
      throw unsupported(`Unknown operation '${request.operation}': op is read or write (delete is Rucio's, not signed by Tarn).`, { operation });
    }
    const method = OPERATIONS[operation];
    if (!method) {
      throw unsupported('Tarn does not sign deletions: replicas are deleted by the reaper. Set a tombstone on the replica, or delete the rule.', { operation });
    }
    const lifetime = lifetimeOf(request.lifetime);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new InvalidInput(`Invalid url '${request.url}': give the full URL of the object, e.g. the PFN Tarn lists for the replica.`, {
        rucioClass: 'InputValidationError',
        details: { url: request.url },
      });
    }

    const target = await unitOfWork(this.dataSource, { what: `signed URL on RSE '${request.rse}'` }, async (manager) => {
      const [rse] = await replicaRepository.rseInfo(manager, [request.rse]);
      if (!rse) throw NotFound.rse(request.rse);
      const protocols: SignableProtocol[] = (await listRseProtocols(manager, rse.id)).map((p) => ({
        scheme: p.scheme,
        hostname: p.hostname,
        port: p.port,
        prefix: p.prefix,
        extendedAttributes: p.extendedAttributes,
      }));
      const found = s3TargetOf(url, protocols);
      if (!found) {
        const s3 = protocols.filter((p) => S3_SCHEMES.includes(p.scheme.toLowerCase()));
        throw new InvalidInput(
          s3.length === 0
            ? `RSE '${rse.rse}' has no S3 protocol (${protocols.map((p) => p.scheme).join(', ') || 'no protocols'}): only URLs on S3 storage can be signed.`
            : `The URL ${request.url} is not under any S3 protocol of RSE '${rse.rse}' ` +
                `(${s3.map((p) => `${p.scheme}://${p.hostname}${p.port ? `:${p.port}` : ''}${p.prefix}`).join(', ')}). Give the PFN of a file on it.`,
          { rucioClass: 'InvalidPath', details: { rse: rse.rse, url: request.url } },
        );
      }
      if (!issuer.admin) {
        const dids = rse.deterministic
          ? didsOfDeterministicPath(found.path, rse.lfn2pfnAlgorithm ?? 'hash', (await listScopes(manager)).map((s) => s.scope))
          : await findReplicasAtPath(manager, rse.id, found.path);
        if (dids.length === 0) {
          throw new Forbidden(
            `Account '${issuer.account}' may not sign a URL for ${request.url}: no DID has this path on RSE '${rse.rse}'` +
              `${rse.deterministic ? ` (it is not what lfn2pfn makes for any scope)` : ' (no replica is registered there)'}, and only administrators may sign other paths.`,
            { rucioClass: 'AccessDenied', details: { rse: rse.rse, url: request.url } },
          );
        }
        const scopes = dids.map((d) => d.scope);
        if (method === 'GET') await this.permissions.assertCanReadScopes(manager, issuer, scopes);
        else await this.permissions.assertCanWriteScopes(manager, issuer, scopes);
        if (method === 'PUT' && !rse.availabilityWrite) {
          throw new QuotaExceeded(`RSE '${rse.rse}' does not take writes now (availability_write is off), so ${dids.map(formatDid).join(', ')} cannot be uploaded there.`, {
            rucioClass: 'RSEWriteBlocked',
            details: { rse: rse.rse },
          });
        }
      }
      return { rse: rse.rse, ...found };
    });

    const storage = createStorage(target.protocol, { rse: target.rse });
    try {
      if (!storage.presign) throw unsupported(`The ${target.protocol.scheme} storage of RSE '${target.rse}' cannot presign URLs.`);
      return await storage.presign(target.path, method, lifetime);
    } finally {
      await storage.close();
    }
  }
}

function lifetimeOf(value: number | string | null | undefined): number {
  if (value === undefined || value === null || value === '') return 600;
  const seconds = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_LIFETIME) {
    throw new InvalidInput(`Invalid lifetime ${JSON.stringify(value)}: give whole seconds from 1 to ${MAX_LIFETIME} (7 days, the S3 limit).`, {
      rucioClass: 'InputValidationError',
      details: { lifetime: value },
    });
  }
  return seconds;
}
