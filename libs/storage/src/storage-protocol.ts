import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm, ChecksumResult } from '@tarn/checksums';

/**
 * Checksums a storage system reports itself, lowercase hex. Only what the storage states is given, never
 * something computed by reading the file.
 * - s3: `md5` is the object's ETag when that is a plain 32-hex digest. S3 computes it as the MD5 of the
 *   content only for objects uploaded in a single PUT (and not SSE-KMS encrypted): a multipart ETag
 *   (`"<hex>-<parts>"`) is no MD5 and is not reported.
 * - webdav: whatever the server answers to `Want-Digest: adler32, md5` (RFC 3230: dCache, StoRM, EOS...).
 * - posix: none.
 */
export interface StorageChecksums {
  adler32?: string;
  md5?: string;
}

export interface StorageStat {
  bytes: number;
  mtime: Date;
  checksums?: StorageChecksums;
}

export interface StorageEntry {
  /** Relative to the protocol prefix, '/'-separated, no leading '/'; never '.' or '..' or a directory. */
  path: string;
  bytes: number;
  mtime: Date;
  /** A temporary file of a write (in progress, or left behind by a writer that was killed); only listed when asked. */
  temporary?: true;
}

export interface ListOptions {
  /** List the temporary files of writes too, flagged `temporary` (the auditor removes those a killed writer left). */
  temporary?: boolean;
}

export interface ReadOptions {
  /** First byte to read, for resumed downloads. At or past the end: an empty stream. */
  offset?: number;
}

export interface WriteOptions {
  /** Expected size: checked before the file becomes visible at its path. Also sizes S3 multipart parts. */
  bytes?: number;
  /** Expected checksums of the bytes: checked before the file becomes visible at its path. */
  checksums?: StorageChecksums;
  /** Also compute these (on top of those in `checksums`) while writing, returned in the result. */
  algorithms?: readonly ChecksumAlgorithm[];
}

/** What was written: the byte count and the checksums computed on the way (those asked for). */
export type WriteResult = ChecksumResult;

export interface CopyFromOptions extends WriteOptions {
  /** Aborting it stops the copy (the storage keeps nothing at the path). */
  signal?: AbortSignal;
}

/**
 * A copy the storage made by itself, no byte through Tarn: `how` says which way (for the transfer's record).
 * `verified`: the storage checked size and checksums (those in the options it can compute) before the file
 * showed at its path; otherwise the caller must check it at once (S3 server-side copies: ETag or read back).
 */
export interface StorageSideCopy {
  result: WriteResult;
  how: string;
  verified: boolean;
}

/** Why the storage cannot copy from that source by itself: stream the bytes instead. */
export interface NoStorageSideCopy {
  refused: string;
}

export interface DeleteResult {
  existed: boolean;
}

export interface SpaceUsage {
  total?: number;
  free?: number;
  used?: number;
}

export type PresignMethod = 'GET' | 'PUT';

/**
 * One storage endpoint (an RSE protocol: scheme, host, port, prefix). Paths are relative to the prefix,
 * '/'-separated (as lfn2pfn makes them); a path that would leave the prefix is refused.
 * Errors are the storage errors of storage.errors.ts, each naming the RSE, endpoint and path.
 */
export interface StorageProtocol {
  /** e.g. `s3://127.0.0.1:9000/bucket/prefix/` (no credentials), for messages and logs. */
  readonly endpoint: string;

  /** True when a file is at `path` (a directory there is not a file). */
  exists(path: string): Promise<boolean>;

  stat(path: string): Promise<StorageStat>;

  /** Resolves once the storage has answered (so a missing file fails here, not in the stream). */
  read(path: string, options?: ReadOptions): Promise<Readable>;

  /**
   * Streams `source` to `path`, creating parent directories/collections, replacing a file already there.
   * Atomic where the storage allows: the file appears at `path` complete and verified (size and checksums
   * in `options`) or not at all. posix: temporary name in the same directory, fsync, rename. s3: the upload
   * completes (or is aborted) as a whole. webdav: PUT to a temporary name, then MOVE.
   */
  write(path: string, source: Readable, options?: WriteOptions): Promise<WriteResult>;

  /** Idempotent: deleting a missing file succeeds with `existed: false`. */
  delete(path: string): Promise<DeleteResult>;

  /**
   * Files (recursively, never directories, `.` or `..`) under `prefix`, a directory path relative to the
   * protocol prefix ('' for everything). Temporary files of writes are left out unless `options.temporary`.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<StorageEntry>;

  /** A URL any HTTP client can GET or PUT without credentials, until it expires. Only where supported (s3). */
  presign?(path: string, method: PresignMethod, expiresSeconds: number): Promise<string>;

  /** Capacity where the storage tells it: posix (statfs), webdav (RFC 4331 quota properties, if served). */
  space?(): Promise<SpaceUsage>;

  /**
   * A copy from another storage made by the storage itself: server-side within one S3 endpoint (same endpoint URL
   * and access key), third-party between two XRootD servers (the destination pulls), or HTTP-TPC between two
   * WebDAV servers (COPY with a Source header: the destination pulls). Resolves to `{refused}` saying why when it
   * cannot from `source` (stream it instead); a copy that was tried and failed throws.
   */
  copyFrom?(source: StorageProtocol, sourcePath: string, path: string, options?: CopyFromOptions): Promise<StorageSideCopy | NoStorageSideCopy>;

  /**
   * Streams a file from another storage of the same kind through this host with the storage's own client, the
   * bytes never entering Node (xrootd: XrdCl's copy, as xrdcp), verified before it shows like a write. Resolves
   * undefined when it cannot from `source`: stream it through read() and write() instead.
   */
  streamFrom?(source: StorageProtocol, sourcePath: string, path: string, options?: CopyFromOptions): Promise<WriteResult | undefined>;

  /** Releases connections. */
  close(): Promise<void>;
}
