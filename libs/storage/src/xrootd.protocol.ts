import { Readable, pipeline } from 'node:stream';
import type { ChecksumAlgorithm } from '@tarn/checksums';
import { StorageBase } from './storage-base.js';
import {
  ChecksumMismatch,
  InvalidStoragePath,
  NotFoundOnStorage,
  StorageFull,
  StorageMisconfigured,
  StorageOperationFailed,
  StoragePermissionDenied,
  StorageUnavailable,
  UnsupportedStorageOperation,
  isStorageError,
} from './storage.errors.js';
import { isTemporaryName, storagePathProblem, temporaryName } from './storage-path.js';
import type {
  CopyFromOptions,
  DeleteResult,
  NoStorageSideCopy,
  ListOptions,
  ReadOptions,
  SpaceUsage,
  StorageEntry,
  StorageProtocol,
  StorageSideCopy,
  StorageStat,
  WriteOptions,
  WriteResult,
} from './storage-protocol.js';
import { messageOf, sourceFailure, taggedSource } from './source-stream.js';
import { VerifyingTransform } from './verifying.transform.js';
import { XrootdCallFailed, XrootdSession, type XrootdAnswer } from './xrootd-session.js';

export interface XrootdStorageOptions {
  /** `root` or `roots` (TLS: the client checks the server's certificate against X509_CERT_DIR). */
  scheme: 'root' | 'roots';
  hostname: string;
  port?: number | null;
  /** The directory that is the protocol prefix, e.g. `/eos/experiment/tarn/`. */
  prefix: string;
  rse?: string;
  /** Extra environment of the XRootD client session, e.g. { BEARER_TOKEN } (one session per distinct value). */
  env?: Record<string, string>;
  /** Bytes per read or write call of a stream (default 8 MiB); two are in flight per stream. */
  chunkBytes?: number;
  /** Entries per page of a listing (default 5000). */
  listPage?: number;
}

interface FoundStat {
  size: number;
  mtime: number;
  dir: boolean;
  adler32?: string;
}

const MIB = 1024 * 1024;

/**
 * Files under a directory of an XRootD server (EOS, dCache, XRootD itself), through the XRootD project's client
 * library (XrdCl) in one shared client session per process (xrootd-session.ts): no xrd* process per file.
 * Writes go to a temporary name in the same directory, are checked against the server's own adler32 of what it
 * stored (when it computes checksums) and renamed into place; reads are ranged; listings are paged.
 */
export class XrootdStorage extends StorageBase implements StorageProtocol {
  readonly protocol = 'xrootd' as const;
  /** `root://host:port`: what XrdCl's FileSystem is opened on. */
  readonly server: string;
  /** The prefix directory, with leading and trailing '/'. */
  readonly root: string;
  private readonly session: XrootdSession;
  private readonly chunkBytes: number;
  private readonly listPage: number;
  private closed = false;
  /** The server answered a checksum query with none: copies into it are streamed through Tarn, which checksums them. */
  private withoutChecksums = false;

  constructor(options: XrootdStorageOptions) {
    const scheme = options.scheme.toLowerCase();
    const server = `${scheme}://${options.hostname}${options.port ? `:${options.port}` : ''}`;
    const root = `/${options.prefix.split('/').filter(Boolean).join('/')}/`.replace(/^\/\/$/, '/');
    super(`${server}/${root}`, options.rse);
    if (scheme !== 'root' && scheme !== 'roots') throw new StorageMisconfigured(this.location(), `the scheme must be root or roots, not ${options.scheme}`);
    if (!options.hostname) throw new StorageMisconfigured(this.location(), 'the protocol has no hostname');
    if (root.includes('?')) throw new StorageMisconfigured(this.location(), "the prefix contains '?', which XRootD takes as the start of opaque parameters");
    this.server = server;
    this.root = root;
    this.session = XrootdSession.acquire(options.env ?? {});
    this.chunkBytes = options.chunkBytes ?? 8 * MIB;
    this.listPage = options.listPage ?? 5000;
  }

  /** The client session behind this storage: its pid while it runs, calls made and processes started. */
  get sessionInfo(): { pid: number | undefined; calls: number; processes: number } {
    return { pid: this.session.pid, ...this.session.stats };
  }

  async exists(path: string): Promise<boolean> {
    const found = await this.statOf(path, false, 'stat').catch((error: unknown) => {
      if (error instanceof NotFoundOnStorage) return undefined;
      throw error;
    });
    return found !== undefined && !found.dir;
  }

  async stat(path: string): Promise<StorageStat> {
    const found = await this.statOf(path, true, 'stat');
    if (found.dir) throw new NotFoundOnStorage(this.location(path));
    return { bytes: found.size, mtime: new Date(found.mtime * 1000), ...(found.adler32 ? { checksums: { adler32: found.adler32 } } : {}) };
  }

  async read(path: string, options: ReadOptions = {}): Promise<Readable> {
    const file = this.fileUrl(path);
    const opened = await this.call<{ handle: number; size: number }>('open', { file, mode: 'r' }, 'read', path);
    return new XrootdReadStream(
      (op, args) => this.session.call(op, args),
      opened.value.handle,
      Math.max(0, options.offset ?? 0),
      opened.value.size,
      this.chunkBytes,
      (error) => this.mapError(error, 'read', path),
    );
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const segments = this.fileSegments(path);
    this.checkSegments(segments, path);
    const temporary = this.absolute([...segments.slice(0, -1), temporaryName()]);
    const wanted = options.algorithms ?? [];
    // adler32 is always computed on the way: it is compared with the server's checksum of what it stored.
    const algorithms: ChecksumAlgorithm[] = [...new Set<ChecksumAlgorithm>([...wanted, 'adler32'])];
    const verifier = new VerifyingTransform(options, algorithms, (m) => new ChecksumMismatch(this.location(path), m));
    let handle: number | undefined;
    let created = false;
    try {
      const opened = await this.call<{ handle: number }>('open', { file: `${this.server}/${temporary}`, mode: 'w' }, 'write', path);
      handle = opened.value.handle;
      created = true;
      await this.pump(taggedSource(source), verifier, handle, path);
      const closing = handle;
      handle = undefined;
      await this.call('close', { handle: closing }, 'write', path);
      verifier.assertMatches();
      const result = verifier.result;
      await this.checkStored(temporary, result, path);
      await this.call('mv', { url: this.server, source: temporary, target: this.absolute(segments) }, 'write', path);
      created = false;
      return pick(result, wanted, options);
    } catch (error) {
      source.destroy();
      if (handle !== undefined) await this.session.call('close', { handle, check: false }).catch(() => undefined);
      if (created) await this.session.call('rm', { url: this.server, path: temporary }).catch(() => undefined);
      throw this.mapError(error, 'write', path);
    }
  }

  /**
   * Third-party copy from another XRootD server: this (the destination) server pulls the file from the source
   * server itself (ofs.tpc), no byte through Tarn, into a temporary name; its size and the server's adler32 are
   * checked against the catalogue's, then it is renamed into place. Refused (stream instead) when the source is
   * not XRootD, the file has no adler32 to check the copy with, or the servers do not do third-party copies.
   */
  async copyFrom(source: StorageProtocol, sourcePath: string, path: string, options: CopyFromOptions = {}): Promise<StorageSideCopy | NoStorageSideCopy> {
    if (!(source instanceof XrootdStorage)) return { refused: `the source ${source.endpoint} does not speak XRootD` };
    if (!options.checksums?.adler32) return { refused: 'the file has no adler32 in the catalogue, which is what a third-party copy is checked with' };
    // The destination server is handed the source path among its third-party copy parameters, which '&' separates:
    // it would wait for a copy that never starts, until its authorization expires.
    if (sourcePath.includes('&')) return { refused: `XRootD third-party copy cannot name a source path with '&' ('${sourcePath}')` };
    const copied = await this.copyWithXrdCl(source, sourcePath, path, options, 'only');
    if ('refused' in copied) return copied;
    return { result: copied, how: `XRootD third-party copy: ${this.server} pulled the file from ${source.server}`, verified: true };
  }

  /**
   * Streams a file from another XRootD server through this host with XrdCl itself (as xrdcp does: the bytes
   * never enter Node), into a temporary name; checked like a third-party copy (size, this server's adler32
   * against the catalogue's) before it is renamed into place. Undefined when it cannot (another protocol, no
   * adler32 to check with): stream it through Tarn instead.
   */
  async streamFrom(source: StorageProtocol, sourcePath: string, path: string, options: CopyFromOptions = {}): Promise<WriteResult | undefined> {
    if (!(source instanceof XrootdStorage) || !options.checksums?.adler32 || this.withoutChecksums) return undefined;
    const copied = await this.copyWithXrdCl(source, sourcePath, path, options, 'none');
    return 'refused' in copied ? undefined : copied;
  }

  /** A copy by XrdCl's copy process, third-party ('only') or through this host ('none'), verified, renamed into place. */
  private async copyWithXrdCl(
    source: XrootdStorage,
    sourcePath: string,
    path: string,
    options: CopyFromOptions,
    thirdparty: 'only' | 'none',
  ): Promise<WriteResult | NoStorageSideCopy> {
    const expected = options.checksums!.adler32!;
    const segments = this.fileSegments(path);
    this.checkSegments(segments, path);
    const sourceUrl = source.fileUrl(sourcePath);
    const temporary = this.absolute([...segments.slice(0, -1), temporaryName()]);
    const operation = `copy '${sourcePath}' from ${source.endpoint} (${thirdparty === 'only' ? 'third-party' : 'XrdCl'}) to`;
    try {
      await this.session.call('copy', { source: sourceUrl, target: `${this.server}/${temporary}`, thirdparty }, undefined, options.signal);
    } catch (error) {
      await this.session.call('rm', { url: this.server, path: temporary }).catch(() => undefined);
      if (error instanceof XrootdCallFailed && error.kind === 'unsupported') {
        return { refused: `${this.server} or ${source.server} does not do third-party copies (${error.message})` };
      }
      // XrdCl does not say which server failed: when the source cannot be reached or has no such file, its own error says so.
      await source.stat(sourcePath);
      if (error instanceof XrootdCallFailed && error.kind === 'notfound') throw new StorageOperationFailed(this.location(path), operation, error.message, error);
      throw this.mapError(error, operation, path);
    }
    try {
      options.signal?.throwIfAborted();
      const found = (await this.call<FoundStat>('stat', { url: this.server, path: temporary, checksum: true }, operation, path)).value;
      if (!found.adler32) {
        this.withoutChecksums = true;
        if (thirdparty === 'none') return { refused: `${this.server} computes no adler32` };
        throw new StorageOperationFailed(this.location(path), operation, `${this.server} computes no adler32 to check the copy with (configure xrootd.chksum adler32), so it was not kept`);
      }
      const mismatched: { what: string; expected: string; actual: string }[] = [];
      if (options.bytes !== undefined && found.size !== options.bytes) mismatched.push({ what: 'size', expected: String(options.bytes), actual: String(found.size) });
      if (found.adler32 !== expected) mismatched.push({ what: 'adler32', expected, actual: found.adler32 });
      if (mismatched.length > 0) throw new ChecksumMismatch(this.location(path), mismatched);
      await this.call('mv', { url: this.server, source: temporary, target: this.absolute(segments) }, operation, path);
      return { bytes: found.size, adler32: found.adler32 };
    } catch (error) {
      await this.session.call('rm', { url: this.server, path: temporary }).catch(() => undefined);
      throw isStorageError(error) ? error : this.mapError(error, operation, path);
    }
  }

  async delete(path: string): Promise<DeleteResult> {
    const segments = this.fileSegments(path);
    this.checkSegments(segments, path);
    const answer = await this.call<DeleteResult>('rm', { url: this.server, path: this.absolute(segments) }, 'delete', path);
    return { existed: answer.value.existed };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StorageEntry> {
    const start = this.directorySegments(prefix);
    this.checkSegments(start, prefix);
    const base = start.length > 0 ? `${start.join('/')}/` : '';
    let cursor: string | null | undefined;
    let done = false;
    try {
      do {
        const args = cursor === undefined ? { url: this.server, path: this.absolute(start), page: this.listPage } : { cursor, page: this.listPage };
        const answer = await this.call<{ entries: Array<[string, number, number]>; cursor: string | null }>('list', args, 'list', prefix);
        cursor = answer.value.cursor;
        done = cursor === null;
        for (const [relative, bytes, mtime] of answer.value.entries) {
          const path = base + relative;
          if (storagePathProblem(path, 'file')) continue;
          const temporary = isTemporaryName(path);
          if (temporary && !options.temporary) continue;
          yield { path, bytes, mtime: new Date(mtime * 1000), ...(temporary ? { temporary } : {}) };
        }
      } while (!done);
    } finally {
      if (!done && typeof cursor === 'string') await this.session.call('list_close', { cursor }).catch(() => undefined);
    }
  }

  async space(): Promise<SpaceUsage> {
    const answer = await this.call<SpaceUsage>('space', { url: this.server, path: this.root }, 'measure the space of', undefined);
    return answer.value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.release();
  }

  /** `root://host:port//prefix/path` of a file. */
  fileUrl(path: string): string {
    const segments = this.fileSegments(path);
    this.checkSegments(segments, path);
    return `${this.server}/${this.absolute(segments)}`;
  }

  /** One call of the session; failures become storage errors naming this endpoint, `operation` and `path`. */
  async call<T>(op: string, args: Record<string, unknown>, operation: string, path: string | undefined, data?: Buffer) {
    try {
      return await this.session.call<T>(op, args, data);
    } catch (error) {
      throw this.mapError(error, operation, path);
    }
  }

  /** Streams the verified bytes into the open file, in chunks of chunkBytes, two writes in flight. */
  private async pump(source: AsyncIterable<Buffer>, verifier: VerifyingTransform, handle: number, path: string): Promise<void> {
    const verified = pipeline(source, verifier, () => undefined) as Readable;
    let offset = 0;
    let parts: Buffer[] = [];
    let size = 0;
    const inFlight: Promise<unknown>[] = [];
    const flush = async () => {
      if (size === 0) return;
      const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
      parts = [];
      size = 0;
      const at = offset;
      offset += data.length;
      const write = this.session.call('write', { handle, offset: at }, data);
      write.catch(() => undefined); // awaited below
      inFlight.push(write);
      if (inFlight.length >= 2) await inFlight.shift();
    };
    try {
      for await (const chunk of verified) {
        parts.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size >= this.chunkBytes) await flush();
      }
      await flush();
      while (inFlight.length > 0) await inFlight.shift();
    } catch (error) {
      verified.destroy();
      await Promise.allSettled(inFlight);
      throw sourceFailure(error, this.location(path)) ?? error;
    }
  }

  /**
   * What the server stored under the temporary name is what was sent: its size, and its adler32 when the server
   * computes checksums (xrootd.chksum; EOS and dCache do). A server without checksums is taken at its size.
   */
  private async checkStored(temporary: string, sent: WriteResult, path: string): Promise<void> {
    const found = await this.call<FoundStat>('stat', { url: this.server, path: temporary, checksum: true }, 'write', path);
    const mismatched: { what: string; expected: string; actual: string }[] = [];
    if (found.value.size !== sent.bytes) mismatched.push({ what: 'size', expected: String(sent.bytes), actual: String(found.value.size) });
    if (found.value.adler32 && sent.adler32 && found.value.adler32 !== sent.adler32) {
      mismatched.push({ what: 'adler32', expected: sent.adler32, actual: found.value.adler32 });
    }
    if (mismatched.length > 0) {
      const list = mismatched.map((m) => `${m.what} ${m.actual} (sent ${m.expected})`).join(', ');
      throw new StorageOperationFailed(this.location(path), 'write', `the server stored other bytes than were sent (${list}); nothing was committed: retry the copy`);
    }
  }

  private statOf(path: string, checksum: boolean, operation: string): Promise<FoundStat> {
    const segments = this.fileSegments(path);
    this.checkSegments(segments, path);
    return this.call<FoundStat>('stat', { url: this.server, path: this.absolute(segments), checksum }, operation, path).then((a) => a.value);
  }

  /** XRootD has no escaping: everything after a '?' is opaque parameters to the server. */
  private checkSegments(segments: string[], path: string): void {
    if (segments.some((s) => s.includes('?'))) {
      throw new InvalidStoragePath(this.location(path), "the path contains '?', which XRootD takes as the start of opaque parameters");
    }
  }

  private absolute(segments: string[]): string {
    return this.root + segments.join('/');
  }

  mapError(error: unknown, operation: string, path: string | undefined): Error {
    const inner = sourceFailure(error, this.location(path));
    if (inner) return inner;
    const location = this.location(path);
    if (!(error instanceof XrootdCallFailed)) return new StorageOperationFailed(location, operation, messageOf(error), error);
    const said = `${error.message}${error.errno ? ` [kXR ${error.errno}]` : error.code ? ` [XrdCl ${error.code}]` : ''}`;
    switch (error.kind) {
      case 'notfound':
        return path !== undefined ? new NotFoundOnStorage(location, error) : new StorageOperationFailed(location, operation, said, error);
      case 'denied':
        return new StoragePermissionDenied(location, operation, said, error);
      case 'full':
        return new StorageFull(location, said, error);
      case 'unavailable':
      case 'ended':
        return new StorageUnavailable(location, operation, said, error);
      case 'missing':
        return new StorageMisconfigured(location, error.message, error);
      case 'unsupported':
        return new UnsupportedStorageOperation(location, operation, `The server said: ${said}.`);
      default:
        return new StorageOperationFailed(location, operation, said, error);
    }
  }
}

/** The written size and the checksums asked for (those to verify and those requested), no more. */
function pick(result: WriteResult, wanted: readonly ChecksumAlgorithm[], options: WriteOptions): WriteResult {
  const keep = new Set<string>([...wanted, ...Object.keys(options.checksums ?? {}).filter((k) => (options.checksums as Record<string, unknown>)[k])]);
  const out: WriteResult = { bytes: result.bytes };
  for (const [key, value] of Object.entries(result)) if (key !== 'bytes' && keep.has(key)) (out as Record<string, unknown>)[key] = value;
  return out;
}

/** A file's bytes from an offset, read in chunks with the next one already asked for; closes the file at the end. */
class XrootdReadStream extends Readable {
  private next: number;
  private readonly ahead: Promise<Buffer>[] = [];
  private finished = false;
  private closing: Promise<unknown> | null = null;

  constructor(
    private readonly call: (op: string, args: Record<string, unknown>) => Promise<XrootdAnswer<unknown>>,
    private readonly handle: number,
    offset: number,
    private readonly size: number,
    private readonly chunk: number,
    private readonly mapError: (error: unknown) => Error,
  ) {
    super({ highWaterMark: chunk });
    this.next = offset;
  }

  override _read(): void {
    this.fill();
    const head = this.ahead.shift();
    if (!head) {
      this.finish(null);
      return;
    }
    head.then(
      (data) => {
        if (this.destroyed) return;
        if (data.length === 0) return this.finish(null);
        this.fill();
        this.push(data);
      },
      (error) => this.destroy(this.mapError(error)),
    );
  }

  private fill(): void {
    while (this.ahead.length < 2 && this.next < this.size) {
      const at = this.next;
      const size = Math.min(this.chunk, this.size - at);
      this.next += size;
      const read = this.call('read', { handle: this.handle, offset: at, size }).then((answer) => answer.data);
      read.catch(() => undefined); // handled when its turn comes
      this.ahead.push(read);
    }
  }

  private finish(error: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    if (error) this.destroy(error);
    else this.push(null);
  }

  private release(): void {
    this.closing ??= this.call('close', { handle: this.handle, check: false }).catch(() => undefined);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finished = true;
    Promise.allSettled(this.ahead).then(() => {
      this.release();
      callback(error);
    });
  }
}
