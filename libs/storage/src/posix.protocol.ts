import { Stats, createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, open, opendir, realpath, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { syncDirectory } from './directory-sync.js';
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
  isStorageError,
} from './storage.errors.js';
import { isTemporaryName, temporaryName } from './storage-path.js';
import type {
  DeleteResult,
  ReadOptions,
  SpaceUsage,
  ListOptions,
  StorageEntry,
  StorageProtocol,
  StorageStat,
  WriteOptions,
  WriteResult,
} from './storage-protocol.js';
import { withMappedErrors } from './readable-errors.js';
import { sourceFailure, taggedSource } from './source-stream.js';
import { VerifyingTransform } from './verifying.transform.js';

export interface PosixStorageOptions {
  /** Absolute directory (the protocol prefix). It must exist: a missing mount is not silently recreated. */
  root: string;
  /** For messages; default `file://<root>/`. */
  endpoint?: string;
  rse?: string;
  /** Modes of created files and directories, whatever the process umask (default 0644 and 0755). */
  fileMode?: number;
  directoryMode?: number;
}

const READ_CHUNK = 1024 * 1024;
const SMALL_READ_CHUNK = 16 * 1024;
const UNAVAILABLE_CODES = new Set(['EIO', 'ESTALE', 'ETIMEDOUT', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ENOTCONN', 'EHOSTDOWN']);

/** Files under a local (or mounted) directory. Never reaches outside it, through '..' or symbolic links. */
export class PosixStorage extends StorageBase implements StorageProtocol {
  readonly protocol = 'posix' as const;
  private readonly root: string;
  private readonly fileMode: number;
  private readonly directoryMode: number;
  private realRoot: Promise<string> | undefined;

  constructor(options: PosixStorageOptions) {
    const root = options.root.length > 1 ? options.root.replace(/\/+$/, '') : options.root;
    super(options.endpoint ?? `file://${root === '/' ? '' : root}/`, options.rse);
    if (!isAbsolute(root)) throw new StorageMisconfigured(this.location(), `the prefix '${options.root}' is not an absolute directory`);
    this.root = root;
    this.fileMode = options.fileMode ?? 0o644;
    this.directoryMode = options.directoryMode ?? 0o755;
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
    const full = await this.insidePath(path);
    try {
      const info = await stat(full);
      if (!info.isFile()) throw new NotFoundOnStorage(this.location(path));
      return { bytes: info.size, mtime: new Date(info.mtimeMs) };
    } catch (error) {
      throw this.mapError(error, 'stat', path);
    }
  }

  async read(path: string, options: ReadOptions = {}): Promise<Readable> {
    const full = await this.insidePath(path);
    let size: number;
    try {
      const info = await stat(full);
      if (!info.isFile()) throw new NotFoundOnStorage(this.location(path));
      size = info.size;
    } catch (error) {
      throw this.mapError(error, 'read', path);
    }
    // Each read allocates a buffer of highWaterMark bytes: 1 MiB per chunk of a 100-byte file costs more than the read.
    const start = options.offset ?? 0;
    const highWaterMark = Math.min(READ_CHUNK, Math.max(SMALL_READ_CHUNK, size - start + 1));
    const stream = createReadStream(full, { start, highWaterMark });
    return withMappedErrors(stream, (error) => this.mapError(error, 'read', path));
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const segments = this.fileSegments(path);
    let temporary: string | undefined;
    try {
      const directory = await this.ensureDirectory(segments.slice(0, -1), path);
      temporary = join(directory, temporaryName());
      const verifier = new VerifyingTransform(options, options.algorithms ?? [], (m) => new ChecksumMismatch(this.location(path), m));
      // flush: fsync before the descriptor is closed, so that the rename below publishes data that is on disk.
      const file = createWriteStream(temporary, { flags: 'wx', mode: this.fileMode, flush: true, highWaterMark: READ_CHUNK });
      // Opened before anything can fail: a stream destroyed while still opening would create the file after
      // the clean-up below has removed it.
      await once(file, 'ready');
      await pipeline(taggedSource(source), verifier, file);
      await chmod(temporary, this.fileMode); // the umask applied to open()'s mode
      await rename(temporary, join(directory, segments[segments.length - 1]));
      temporary = undefined;
      await syncDirectory(directory);
      return verifier.result;
    } catch (error) {
      if (temporary) await rm(temporary, { force: true }).catch(() => undefined);
      throw this.mapError(error, 'write', path);
    }
  }

  async delete(path: string): Promise<DeleteResult> {
    const segments = this.fileSegments(path);
    let directory: string;
    try {
      directory = await this.insideDirectory(segments.slice(0, -1), path);
    } catch (error) {
      if (error instanceof NotFoundOnStorage) return { existed: false };
      throw error;
    }
    try {
      await unlink(join(directory, segments[segments.length - 1]));
      return { existed: true };
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return { existed: false };
      if (codeOf(error) === 'EISDIR') {
        throw new StorageOperationFailed(this.location(path), 'delete', 'it is a directory, not a file; refusing to delete it');
      }
      throw this.mapError(error, 'delete', path);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StorageEntry> {
    const segments = this.directorySegments(prefix);
    let start: string;
    try {
      start = await this.insideDirectory(segments, prefix);
    } catch (error) {
      if (error instanceof NotFoundOnStorage) return;
      throw error;
    }
    yield* this.walk(start, segments.join('/'), Boolean(options.temporary));
  }

  async space(): Promise<SpaceUsage> {
    try {
      const fs = await statfs(await this.resolvedRoot());
      return { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize, used: (fs.blocks - fs.bfree) * fs.bsize };
    } catch (error) {
      throw this.mapError(error, 'measure the space of', undefined);
    }
  }

  async close(): Promise<void> {}

  private async *walk(directory: string, relative: string, withTemporary: boolean): AsyncGenerator<StorageEntry> {
    const root = await this.resolvedRoot();
    let entries;
    try {
      entries = await opendir(directory, { bufferSize: 256 });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return; // removed while listing
      throw this.mapError(error, 'list', relative);
    }
    for await (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const full = join(directory, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(full, path, withTemporary);
        continue;
      }
      const temporary = isTemporaryName(entry.name);
      if (temporary && !withTemporary) continue;
      let info: Stats;
      try {
        if (entry.isSymbolicLink()) {
          // Files reached through a link count only if the link stays inside; linked directories are not followed.
          if (!inside(root, await realpath(full))) continue;
          info = await stat(full);
        } else {
          info = await lstat(full);
        }
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue;
        throw this.mapError(error, 'list', path);
      }
      if (info.isFile()) yield { path, bytes: info.size, mtime: new Date(info.mtimeMs), ...(temporary ? { temporary } : {}) };
    }
  }

  private resolvedRoot(): Promise<string> {
    this.realRoot ??= realpath(this.root).catch((error: unknown) => {
      this.realRoot = undefined; // a later mount may bring it
      if (codeOf(error) === 'ENOENT') {
        throw new StorageUnavailable(this.location(), 'access', `the prefix directory ${this.root} does not exist (not mounted?)`, error);
      }
      throw this.mapError(error, 'access', undefined);
    });
    return this.realRoot;
  }

  /** The full path of a file, every symbolic link on the way resolved and checked to stay inside the root. */
  private async insidePath(path: string): Promise<string> {
    const segments = this.fileSegments(path);
    const root = await this.resolvedRoot();
    const full = join(root, ...segments);
    let real: string;
    try {
      real = await realpath(full);
    } catch (error) {
      throw this.mapError(error, 'resolve', path);
    }
    if (!inside(root, real)) throw new InvalidStoragePath(this.location(path), 'a symbolic link in the path leads outside the prefix');
    return real;
  }

  /** An existing directory inside the root (NotFoundOnStorage if missing). */
  private async insideDirectory(segments: string[], path: string): Promise<string> {
    const root = await this.resolvedRoot();
    let real: string;
    try {
      real = await realpath(join(root, ...segments));
    } catch (error) {
      throw this.mapError(error, 'resolve', path);
    }
    if (!inside(root, real)) throw new InvalidStoragePath(this.location(path), 'a symbolic link in the path leads outside the prefix');
    return real;
  }

  /** Creates missing directories one at a time (mode set explicitly), refusing links that lead outside. */
  private async ensureDirectory(segments: string[], path: string): Promise<string> {
    const root = await this.resolvedRoot();
    let current = root;
    for (let i = 0; i < segments.length; i++) {
      const next = join(current, segments[i]);
      let info = await lstat(next).catch((error: unknown) => {
        if (codeOf(error) === 'ENOENT') return undefined;
        throw error;
      });
      if (!info) {
        try {
          await mkdir(next, { mode: this.directoryMode });
          await chmod(next, this.directoryMode);
        } catch (error) {
          if (codeOf(error) !== 'EEXIST') throw error; // created concurrently: fine
        }
        info = await lstat(next);
      }
      if (info.isSymbolicLink()) {
        const real = await realpath(next);
        if (!inside(root, real)) throw new InvalidStoragePath(this.location(path), 'a symbolic link in the path leads outside the prefix');
        info = await stat(real);
        if (info.isDirectory()) {
          current = real;
          continue;
        }
      }
      if (!info.isDirectory()) {
        throw new StorageOperationFailed(
          this.location(path),
          'write',
          `'${segments.slice(0, i + 1).join('/')}' is a file, not a directory`,
        );
      }
      current = next;
    }
    return current;
  }

  private mapError(error: unknown, operation: string, path: string | undefined): Error {
    const inner = sourceFailure(error, this.location(path));
    if (inner) return inner;
    const location = this.location(path);
    const code = codeOf(error);
    const reason = `${code ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (path !== undefined && operation !== 'write') return new NotFoundOnStorage(location, error);
    }
    if (code === 'EISDIR' && operation !== 'write') return new NotFoundOnStorage(location, error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new StoragePermissionDenied(location, operation, reason, error);
    if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageFull(location, reason, error);
    if (code && UNAVAILABLE_CODES.has(code)) return new StorageUnavailable(location, operation, reason, error);
    return new StorageOperationFailed(location, operation, reason, error);
  }
}

function inside(root: string, real: string): boolean {
  if (root === sep) return true;
  return real === root || real.startsWith(root + sep);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
