import { constants } from 'node:fs';
import { copyFile, type FileHandle, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, sep } from 'node:path';
import type { ChecksumAlgorithm, ChecksumResult } from '@tarn/checksums';
import { storagePathProblem, syncDirectory, temporaryName } from '@tarn/storage';
import { LocalCopyMismatch } from './checksum-range.js';
import { checksumLocalFile, type ChecksumTuning } from './checksum-threads.js';

/** A file of a local (or mounted) posix RSE: its protocol prefix (the root) and its path under it. */
export interface LocalFile {
  root: string;
  path: string;
}

export { LocalCopyMismatch };

async function inside(root: string, path: string, what: string): Promise<string> {
  const problem = storagePathProblem(path, 'file');
  if (problem) throw new Error(`${what} path '${path}': ${problem}`);
  return join(root, ...path.split('/').filter(Boolean));
}

/** Copies at least this large are flushed while the kernel writes them; a flush that found little to write waits FLUSH_PAUSE_MS. */
const FLUSH_WHILE_COPYING_ABOVE = 64 * 1024 * 1024;
const FLUSH_PAUSE_MS = 5;

/** Prefixes resolved once per process (as a posix protocol resolves its root once), not once per file. */
const realRoots = new Map<string, Promise<string>>();

function realRoot(root: string): Promise<string> {
  let resolved = realRoots.get(root);
  if (!resolved) {
    resolved = realpath(root);
    realRoots.set(root, resolved);
    resolved.catch(() => realRoots.delete(root)); // a later mount may bring it
  }
  return resolved;
}

async function checkInside(root: string, real: string, what: string): Promise<void> {
  const resolvedRoot = await realRoot(root);
  if (real !== resolvedRoot && !real.startsWith(resolvedRoot + sep)) throw new Error(`${what}: a symbolic link leads outside the prefix ${root}`);
}


/**
 * Flushes a file the kernel is copying, fdatasync after fdatasync until the copy is complete, so that the disk
 * writes during the copy instead of all of it at the final fsync (1 GiB on two cores: copy, then fsync 0.69 s;
 * overlapped 0.45 s). The copy creates the file: until it exists, this waits for it.
 */
async function flushWhileCopying(file: string, complete: () => boolean): Promise<void> {
  let handle: FileHandle | undefined;
  while (!handle && !complete()) {
    handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1));
    });
  }
  if (!handle) return;
  try {
    while (!complete()) {
      const started = Date.now();
      await handle.datasync();
      // Nothing to write yet (a slow source): look again shortly rather than spin.
      if (Date.now() - started < FLUSH_PAUSE_MS) await new Promise((resolve) => setTimeout(resolve, FLUSH_PAUSE_MS));
    }
  } finally {
    await handle.close();
  }
}

/**
 * posix -> posix without streams: the kernel copies the file (fs.copyFile: copy_file_range, a reflink where the
 * filesystem has them) to a temporary name in the target directory (a large one flushed as it is written) and
 * fsyncs it, while the checksum threads read the same source bytes and checksum them (a large file in ranges, on
 * several cores), in parallel. The copy's size is then checked, the checksums of the bytes read compared with
 * `expected`, and only then is it renamed into place and its directory fsynced (one fsync shared by the copies into
 * that directory meanwhile, syncDirectory); on any failure the temporary file is removed.
 *
 * Why the destination is not read back: copy_file_range within one host is an in-kernel copy of the very
 * page-cache pages (or extents) the checksum threads read (replicas are immutable: nobody writes the source
 * meanwhile); no byte passes through a network or a user-space buffer that could corrupt it unnoticed. So the
 * checksum of what was read from the source, equal to the catalogue's, plus the destination's size after
 * fsync, verify the copy; reading 1 GiB back would double the work for nothing the kernel could get wrong
 * without also failing the copy.
 * The checksum leaves one core to the kernel's copy and its flushes (ranges: one fewer than the cores, at least
 * one), which are the floor of the whole; it finishes within them on the cores that are left (on two cores,
 * 1 GiB: cp + fsync 0.75 s; this copy with the checksum on one core 0.49-0.54 s, on both 0.53-0.60 s).
 * Throws LocalCopyMismatch when the bytes differ from `expected`.
 */
export async function copyLocalFile(
  source: LocalFile,
  destination: LocalFile,
  expected: { bytes: number; adler32?: string; md5?: string },
  algorithms: readonly ChecksumAlgorithm[],
  signal?: AbortSignal,
  tuning?: ChecksumTuning,
): Promise<ChecksumResult> {
  const from = await inside(source.root, source.path, 'source');
  const to = await inside(destination.root, destination.path, 'destination');
  const realFrom = await realpath(from);
  await checkInside(source.root, realFrom, `source ${source.path}`);
  await mkdir(dirname(to), { recursive: true, mode: 0o755 });
  const directory = await realpath(dirname(to));
  await checkInside(destination.root, directory, `destination ${destination.path}`);
  const finalPath = join(directory, to.slice(to.lastIndexOf(sep) + 1));
  const temporary = join(directory, temporaryName());

  let committed = false;
  try {
    // The copy is fsynced as soon as it is complete, while the checksum threads may still be reading: durable
    // before it becomes AVAILABLE, without waiting for the checksum first.
    const copying = (async () => {
      let copied = false;
      const kernel = copyFile(realFrom, temporary, constants.COPYFILE_EXCL).finally(() => (copied = true));
      const flushing = expected.bytes >= FLUSH_WHILE_COPYING_ABOVE ? flushWhileCopying(temporary, () => copied) : Promise.resolve();
      const [kernelDone, flushed] = await Promise.allSettled([kernel, flushing]);
      if (kernelDone.status === 'rejected') throw kernelDone.reason;
      if (flushed.status === 'rejected') throw flushed.reason;
      const output = await open(temporary, 'r+');
      try {
        await output.chmod(0o644);
        await output.sync();
        return (await output.stat()).size;
      } finally {
        await output.close();
      }
    })();
    const summing = checksumLocalFile(realFrom, expected.bytes, algorithms, signal, { ranges: Math.max(1, availableParallelism() - 1), ...tuning });
    const [copied, summed] = await Promise.allSettled([copying, summing]);
    if (copied.status === 'rejected') throw copied.reason;
    if (summed.status === 'rejected') throw summed.reason;
    signal?.throwIfAborted();
    const written = copied.value;
    const result = summed.value;
    const wrong: string[] = [];
    if (result.bytes !== expected.bytes) wrong.push(`size expected ${expected.bytes}, read ${result.bytes}`);
    else if (written !== expected.bytes) wrong.push(`size expected ${expected.bytes}, written ${written}`);
    for (const algorithm of ['adler32', 'md5'] as const) {
      if (expected[algorithm] && result[algorithm] !== expected[algorithm]) wrong.push(`${algorithm} expected ${expected[algorithm]}, read ${result[algorithm]}`);
    }
    if (wrong.length > 0) throw new LocalCopyMismatch(wrong.join('; '));
    await rename(temporary, finalPath);
    committed = true;
    await syncDirectory(directory);
    return result;
  } finally {
    if (!committed) await rm(temporary, { force: true }).catch(() => undefined);
  }
}
