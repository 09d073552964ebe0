import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable, pipeline } from 'node:stream';
import { InvalidInput } from '@tarn/domain';
import { StorageBase } from './storage-base.js';
import {
  ChecksumMismatch,
  NotFoundOnStorage,
  StorageMisconfigured,
  StorageOperationFailed,
  StoragePermissionDenied,
  StorageUnavailable,
  isStorageError,
} from './storage.errors.js';
import { isTemporaryName, storagePathProblem } from './storage-path.js';
import type {
  DeleteResult,
  PresignMethod,
  ReadOptions,
  ListOptions,
  StorageEntry,
  StorageProtocol,
  StorageStat,
  WriteOptions,
  WriteResult,
  StorageSideCopy,
  NoStorageSideCopy,
} from './storage-protocol.js';
import { networkErrorCode } from './error-codes.js';
import { S3DirectPut } from './s3-direct-put.js';
import { withMappedErrors } from './readable-errors.js';
import { messageOf, sourceFailure, taggedSource } from './source-stream.js';
import { VerifyingTransform } from './verifying.transform.js';

export interface S3StorageOptions {
  /** The S3 service, e.g. `http://127.0.0.1:9000` or `https://s3.example.org`. */
  endpointUrl: string;
  bucket: string;
  /** Key prefix inside the bucket ('' or ending with '/'). */
  keyPrefix?: string;
  region?: string;
  /** Without both keys the AWS SDK's default chain is used (AWS_* environment, profiles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key`; default true (what local servers need). */
  forcePathStyle?: boolean;
  rse?: string;
  /** Multipart part size (default 8 MiB; raised when `bytes` is known so that a file fits in 10,000 parts). */
  partSize?: number;
  /** Parts uploaded in parallel per file (default 4). */
  queueSize?: number;
  /** Above this size server-side copies go in parts (default 5 GiB, the CopyObject limit). */
  multipartCopyThreshold?: number;
  copyPartSize?: number;
  /** Attempts per request, retries included (default 3). */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  /** A socket idle this long fails the request (default 120 s). */
  idleTimeoutMs?: number;
}

const MIB = 1024 * 1024;
const MAX_PARTS = 10_000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // AWS Signature V4 limit

const TRANSIENT_NAMES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'TimeoutError', 'RequestTimeTooSkewed']);

/** Objects in one bucket (under a key prefix) of an S3 service, through @aws-sdk/client-s3. */
export class S3Storage extends StorageBase implements StorageProtocol {
  readonly protocol = 's3' as const;
  readonly endpointUrl: string;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly accessKeyId: string | undefined;
  private readonly client: S3Client;
  /** Small PUTs signed and sent without the SDK's per-request machinery; null where the endpoint's shape needs it. */
  private readonly direct: S3DirectPut | null;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly multipartCopyThreshold: number;
  private readonly copyPartSize: number;

  constructor(options: S3StorageOptions) {
    const endpointUrl = options.endpointUrl.replace(/\/+$/, '');
    const keyPrefix = options.keyPrefix ?? '';
    super(`${endpointUrl}/${options.bucket}/${keyPrefix}`, options.rse);
    if (!options.bucket) throw new StorageMisconfigured(this.location(), 'no bucket: set the extended attribute "bucket" or start the prefix with it');
    if (keyPrefix !== '' && (!keyPrefix.endsWith('/') || storagePathProblem(keyPrefix, 'directory'))) {
      throw new StorageMisconfigured(this.location(), `the key prefix '${keyPrefix}' must be a relative path ending with '/'`);
    }
    this.endpointUrl = endpointUrl;
    this.bucket = options.bucket;
    this.keyPrefix = keyPrefix;
    this.accessKeyId = options.accessKeyId;
    this.partSize = options.partSize ?? 8 * MIB;
    this.queueSize = options.queueSize ?? 4;
    this.multipartCopyThreshold = options.multipartCopyThreshold ?? 5 * 1024 * MIB;
    this.copyPartSize = options.copyPartSize ?? 512 * MIB;
    const credentials =
      options.accessKeyId && options.secretAccessKey
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, sessionToken: options.sessionToken }
        : undefined;
    this.client = new S3Client({
      endpoint: endpointUrl,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      credentials,
      maxAttempts: options.maxAttempts ?? 3,
      // S3-compatible servers (MinIO, Ceph, S3Proxy...) do not all know the newer default checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5000,
        socketTimeout: options.idleTimeoutMs ?? 120_000,
        httpAgent: { keepAlive: true, maxSockets: 64 },
        httpsAgent: { keepAlive: true, maxSockets: 64 },
      },
    });
    this.direct = S3DirectPut.for(this.client, endpointUrl, this.bucket, options.forcePathStyle ?? true);
  }

  /** The object key of a path. */
  key(path: string): string {
    return this.keyPrefix + this.fileSegments(path).join('/');
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (error) {
      if (error instanceof NotFoundOnStorage) return false;
      throw error;
    }
  }

  async stat(path: string): Promise<StorageStat> {
    const Key = this.key(path);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      const md5 = /^"?([0-9a-fA-F]{32})"?$/.exec(head.ETag ?? '')?.[1]?.toLowerCase();
      return { bytes: head.ContentLength ?? 0, mtime: head.LastModified ?? new Date(0), ...(md5 ? { checksums: { md5 } } : {}) };
    } catch (error) {
      throw this.mapError(error, 'stat', path);
    }
  }

  async read(path: string, options: ReadOptions = {}): Promise<Readable> {
    const Key = this.key(path);
    const offset = options.offset ?? 0;
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) }),
      );
      return withMappedErrors(object.Body as Readable, (error) => this.mapError(error, 'read', path));
    } catch (error) {
      if (offset > 0 && statusOf(error) === 416) {
        await this.stat(path); // a missing file is still an error; a range past the end is just nothing left
        return Readable.from([]);
      }
      throw this.mapError(error, 'read', path);
    }
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    if (options.bytes !== undefined && options.bytes <= this.partSize) return this.putSmall(path, source, options);
    const Key = this.key(path);
    const verifier = new VerifyingTransform(options, options.algorithms ?? [], (m) => new ChecksumMismatch(this.location(path), m));
    const body = pipeline(taggedSource(source), verifier, () => undefined) as Readable;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body, ContentType: 'application/octet-stream' },
      partSize: this.partSizeFor(options.bytes),
      queueSize: this.queueSize,
      leavePartsOnError: false, // an interrupted multipart upload is aborted: nothing appears at the key
    });
    try {
      const done = await upload.done();
      const result = verifier.result;
      const etag = /^"?([0-9a-fA-F]{32})"?$/.exec(done.ETag ?? '')?.[1]?.toLowerCase();
      if (result.md5 && etag && etag !== result.md5) {
        // A single-part ETag is the MD5 the server computed: the bytes changed between here and there.
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => undefined);
        throw new ChecksumMismatch(this.location(path), [{ what: 'md5 (ETag)', expected: result.md5, actual: etag }]);
      }
      return result;
    } catch (error) {
      body.destroy();
      throw this.mapError(error, 'write', path);
    }
  }

  /**
   * A file of known size that fits in one part: read whole (at most `bytes`), verified against what was
   * expected and its md5 computed in the same pass, then one PUT with that md5 as Content-MD5, which the server
   * checks before it stores the object (a body damaged on the way is refused, nothing appears at the key). The
   * payload is not hashed a second time for the signature (UNSIGNED-PAYLOAD): Content-MD5, a signed header,
   * already binds the body to the request.
   */
  private async putSmall(path: string, source: Readable, options: WriteOptions): Promise<WriteResult> {
    const Key = this.key(path);
    const algorithms = [...new Set([...(options.algorithms ?? []), 'md5' as const])];
    const verifier = new VerifyingTransform(options, algorithms, (m) => new ChecksumMismatch(this.location(path), m));
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of pipeline(taggedSource(source), verifier, () => undefined) as Readable) chunks.push(chunk as Buffer);
    } catch (error) {
      throw this.mapError(error, 'write', path);
    }
    const result = verifier.result;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const ContentMD5 = Buffer.from(result.md5!, 'hex').toString('base64');
    const throughSdk = async (): Promise<string | undefined> => {
      const command = new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.length, ContentMD5, ContentType: 'application/octet-stream' });
      command.middlewareStack.add(
        (next) => (args) => {
          (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
          return next(args);
        },
        { step: 'build', name: 'tarnUnsignedPayload' },
      );
      return (await this.client.send(command)).ETag;
    };
    try {
      const sent = (await this.direct?.put(Key, body, ContentMD5)) ?? (await throughSdk());
      const etag = /^"?([0-9a-fA-F]{32})"?$/.exec(sent ?? '')?.[1]?.toLowerCase();
      if (etag && etag !== result.md5) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => undefined);
        throw new ChecksumMismatch(this.location(path), [{ what: 'md5 (ETag)', expected: result.md5!, actual: etag }]);
      }
    } catch (error) {
      throw this.mapError(error, 'write', path);
    }
    // md5 was computed for Content-MD5; report only what the caller asked for.
    if (options.algorithms?.includes('md5') || options.checksums?.md5) return result;
    const { md5: _md5, ...asked } = result;
    return asked;
  }

  async delete(path: string): Promise<DeleteResult> {
    const Key = this.key(path);
    // DeleteObject succeeds whether or not the key exists, so ask first to report it.
    const existed = await this.exists(path);
    if (!existed) return { existed: false };
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
      return { existed: true };
    } catch (error) {
      throw this.mapError(error, 'delete', path);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StorageEntry> {
    const segments = this.directorySegments(prefix);
    const Prefix = this.keyPrefix + (segments.length > 0 ? `${segments.join('/')}/` : '');
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken, MaxKeys: 1000 }));
      } catch (error) {
        throw this.mapError(error, 'list', prefix);
      }
      for (const object of page.Contents ?? []) {
        const path = (object.Key ?? '').slice(this.keyPrefix.length);
        // Directory markers ("a/b/") and keys no path can name ("a//b", "../x") are not files of this protocol.
        if (storagePathProblem(path, 'file') || path.endsWith('/')) continue;
        const temporary = isTemporaryName(path);
        if (temporary && !options.temporary) continue;
        yield { path, bytes: object.Size ?? 0, mtime: object.LastModified ?? new Date(0), ...(temporary ? { temporary } : {}) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async presign(path: string, method: PresignMethod, expiresSeconds: number): Promise<string> {
    const Key = this.key(path);
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      throw new InvalidInput(
        `A presigned URL must expire after 1 to ${MAX_PRESIGN_SECONDS} seconds (7 days, the AWS Signature V4 limit); got ${expiresSeconds}.`,
        { rucioClass: 'InputValidationError', details: { expiresSeconds } },
      );
    }
    const command =
      method === 'GET' ? new GetObjectCommand({ Bucket: this.bucket, Key }) : new PutObjectCommand({ Bucket: this.bucket, Key });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: expiresSeconds });
    } catch (error) {
      throw this.mapError(error, `presign a ${method} of`, path);
    }
  }

  async copyFrom(source: StorageProtocol, sourcePath: string, path: string): Promise<StorageSideCopy | NoStorageSideCopy> {
    if (!(source instanceof S3Storage)) return { refused: `the source is ${source.endpoint}, not S3` };
    if (source.endpointUrl !== this.endpointUrl || source.accessKeyId !== this.accessKeyId) {
      return { refused: `S3 copies server-side only within one endpoint and identity (${source.endpointUrl} and ${this.endpointUrl})` };
    }
    const Key = this.key(path);
    const sourceKey = source.key(sourcePath);
    const { bytes } = await source.stat(sourcePath);
    const CopySource = `${source.bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
    try {
      if (bytes <= this.multipartCopyThreshold) {
        await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource, MetadataDirective: 'COPY' }));
      } else {
        await this.copyInParts(CopySource, Key, bytes);
      }
      return { result: { bytes }, how: `S3 server-side copy within ${this.endpointUrl} (${bytes <= this.multipartCopyThreshold ? 'CopyObject' : 'UploadPartCopy'})`, verified: false };
    } catch (error) {
      throw this.mapError(error, `copy '${sourcePath}' from ${source.endpoint} to`, path);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async copyInParts(CopySource: string, Key: string, bytes: number): Promise<void> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    try {
      const partSize = Math.max(this.copyPartSize, Math.ceil(bytes / MAX_PARTS));
      const ranges: { PartNumber: number; range: string }[] = [];
      for (let start = 0, n = 1; start < bytes; start += partSize, n++) {
        ranges.push({ PartNumber: n, range: `bytes=${start}-${Math.min(start + partSize, bytes) - 1}` });
      }
      const parts: CompletedPart[] = [];
      let next = 0;
      const worker = async () => {
        while (next < ranges.length) {
          const { PartNumber, range } = ranges[next++];
          const out = await this.client.send(
            new UploadPartCopyCommand({ Bucket: this.bucket, Key, UploadId, PartNumber, CopySource, CopySourceRange: range }),
          );
          parts.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize, ranges.length) }, worker));
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  private partSizeFor(bytes: number | undefined): number {
    if (bytes === undefined) return Math.max(this.partSize, 16 * MIB);
    return Math.max(this.partSize, Math.ceil(bytes / MAX_PARTS / MIB) * MIB);
  }

  private mapError(error: unknown, operation: string, path: string | undefined): Error {
    const inner = sourceFailure(error, this.location(path));
    if (inner) return inner;
    if (error instanceof InvalidInput) return error;
    const location = this.location(path);
    const status = statusOf(error);
    const name = (error as { name?: string } | null)?.name ?? 'Error';
    const network = networkErrorCode(error);
    const said = status ? `HTTP ${status} ${name}` : (network ?? messageOf(error));
    if (name === 'NoSuchBucket') {
      return new StorageMisconfigured(location, `the bucket '${this.bucket}' does not exist at ${this.endpointUrl}: create it, or fix the protocol's bucket or prefix`, error);
    }
    if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
      if (path !== undefined) return new NotFoundOnStorage(location, error);
    }
    if (status === 401 || status === 403) {
      const reason =
        name === 'InvalidAccessKeyId'
          ? `the access key '${this.accessKeyId ?? '(default chain)'}' is unknown to the server`
          : name === 'SignatureDoesNotMatch'
            ? `the secret key of access key '${this.accessKeyId ?? '(default chain)'}' is wrong`
            : `${said} for access key '${this.accessKeyId ?? '(default chain)'}'`;
      return new StoragePermissionDenied(location, operation, reason, error);
    }
    if (name === 'CredentialsProviderError') {
      return new StorageMisconfigured(
        location,
        'no S3 credentials: set the extended attributes access_key_id and secret_access_key, or TARN_S3_ACCESS_KEY_ID and TARN_S3_SECRET_ACCESS_KEY',
        error,
      );
    }
    if (
      network !== undefined ||
      TRANSIENT_NAMES.has(name) ||
      status === 429 ||
      status === 408 ||
      (status !== undefined && status >= 500)
    ) {
      return new StorageUnavailable(location, operation, said, error);
    }
    return new StorageOperationFailed(location, operation, `the server answered ${said}: ${messageOf(error)}`, error);
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
