import { InvalidStoragePath, StorageLocation } from './storage.errors.js';
import { splitSegments, storagePathProblem } from './storage-path.js';

/** What every implementation shares: its endpoint for messages, and path checks. */
export abstract class StorageBase {
  abstract readonly protocol: 'posix' | 's3' | 'webdav' | 'xrootd';

  protected constructor(
    readonly endpoint: string,
    readonly rse?: string,
  ) {}

  location(path?: string): StorageLocation {
    return { ...(this.rse ? { rse: this.rse } : {}), protocol: this.protocol, endpoint: this.endpoint, ...(path === undefined ? {} : { path }) };
  }

  /** The segments of a file path, or InvalidStoragePath. */
  protected fileSegments(path: string): string[] {
    const problem = storagePathProblem(path, 'file');
    if (problem) throw new InvalidStoragePath(this.location(String(path)), problem);
    return splitSegments(path, 'file');
  }

  /** The segments of a directory path ('' or 'a/b' or 'a/b/'), or InvalidStoragePath. */
  protected directorySegments(prefix: string): string[] {
    const problem = storagePathProblem(prefix, 'directory');
    if (problem) throw new InvalidStoragePath(this.location(String(prefix)), problem);
    return splitSegments(prefix, 'directory');
  }
}
