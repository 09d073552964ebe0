import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { CliError, ExitCode } from './errors.js';

/** Passes bytes through at most `bytesPerSecond` (--limit-rate), and counts them for a progress bar. */
export class RateTransform extends Transform {
  private passed = 0;
  private readonly started = Date.now();

  constructor(
    private readonly bytesPerSecond: number | undefined,
    private readonly onBytes: (n: number, chunk: Buffer) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.passed += chunk.length;
    this.onBytes(chunk.length, chunk);
    if (!this.bytesPerSecond) return callback(null, chunk);
    const due = this.started + (this.passed / this.bytesPerSecond) * 1000;
    const wait = due - Date.now();
    if (wait <= 0) return callback(null, chunk);
    setTimeout(() => callback(null, chunk), wait);
  }
}

/** Runs `work` over the items, at most `parallel` at once; stops starting new ones once the signal aborts. */
export async function runPool<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>, signal?: AbortSignal): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(items.length);
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < items.length && failure === null && !signal?.aborted) {
      const index = next++;
      try {
        results[index] = await work(items[index]);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  if (failure !== null) throw failure;
  return results;
}

export interface LocalFile {
  path: string;
  /** The path below the directory given (a file given by itself: its base name), which DID names are built from. */
  relative: string;
  name: string;
  bytes: number;
}

/** The files given, directories walked recursively; each file's DID name comes from its relative path (`nameOf`, default the base name). */
export async function localFiles(paths: readonly string[], cwd: string, nameOf: (relative: string) => string = (r) => basename(r)): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const visit = async (path: string, relative: string): Promise<void> => {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new CliError(`Cannot read '${path}': no such file or directory. Give files or directories to upload.`, ExitCode.NOT_FOUND);
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      for (const entry of entries) if (!entry.startsWith('.')) await visit(join(path, entry), relative ? `${relative}/${entry}` : entry);
    } else if (info.isFile()) {
      const rel = relative || basename(path);
      files.push({ path, relative: rel, name: nameOf(rel), bytes: info.size });
    }
  };
  for (const p of paths) await visit(resolve(cwd, p), '');
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.name);
    if (other) {
      throw new CliError(
        `Two files would get the same DID name '${f.name}': ${other} and ${f.path}. Build distinct names from their paths (e.g. --did-name '{path}'), or upload them into different scopes.`,
        ExitCode.USAGE,
      );
    }
    seen.set(f.name, f.path);
  }
  return files;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
