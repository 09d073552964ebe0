import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { ChecksumSet, type ChecksumAlgorithm, type ChecksumResult } from '@tarn/checksums';
import { storagePathProblem, temporaryName } from '@tarn/storage';

const CHUNK = 8 * 1024 * 1024;

/** A file of a local (or mounted) posix RSE: its protocol prefix (the root) and its path under it. */
export interface LocalFile {
  root: string;
  path: string;
}

export class LocalCopyMismatch extends Error {}

async function inside(root: string, path: string, what: string): Promise<string> {
  const problem = storagePathProblem(path, 'file');
  if (problem) throw new Error(`${what} path '${path}': ${problem}`);
  return join(root, ...path.split('/').filter(Boolean));
}

async function checkInside(root: string, real: string, what: string): Promise<void> {
  const realRoot = await realpath(root);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new Error(`${what}: a symbolic link leads outside the prefix ${root}`);
}


/** Reads a file with large double-buffered reads, feeding `set`; fails past `limit` bytes. */
async function checksumFile(file: string, set: ChecksumSet, limit: number, signal?: AbortSignal): Promise<void> {
  const input = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let position = 0;
    let reading = input.read(buffers[0], 0, CHUNK, 0);
    for (let i = 0; ; i++) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      signal?.throwIfAborted();
      position += bytesRead;
      if (position > limit) throw new LocalCopyMismatch(`size: more than the expected ${limit} bytes`);
      reading = input.read(buffers[(i + 1) % 2], 0, CHUNK, position);
      set.update(buffers[i % 2].subarray(0, bytesRead));
    }
  } finally {
    await input.close();
  }
}

/**
 * posix -> posix without streams: the kernel copies the file (fs.copyFile: copy_file_range, a reflink where the
 * filesystem has them; several times faster than read/write through user space) to a temporary name in the
 * target directory while this process reads the source with large buffers and checksums it, in parallel. The
 * copy is then fsynced and its size checked, the checksums of the bytes copied compared with `expected`, and
 * only then renamed into place and its directory fsynced; on any failure the temporary file is removed.
 * Throws LocalCopyMismatch when the bytes differ from `expected`.
 */
export async function copyLocalFile(
  source: LocalFile,
  destination: LocalFile,
  expected: { bytes: number; adler32?: string; md5?: string },
  algorithms: readonly ChecksumAlgorithm[],
  signal?: AbortSignal,
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

  const set = await ChecksumSet.create(algorithms);
  let committed = false;
  try {
    // The kernel copies (copy_file_range) while this process reads the same source bytes and checksums them.
    const copying = copyFile(realFrom, temporary, constants.COPYFILE_EXCL);
    const summing = checksumFile(realFrom, set, expected.bytes, signal);
    const [copied, summed] = await Promise.allSettled([copying, summing]);
    if (copied.status === 'rejected') throw copied.reason;
    if (summed.status === 'rejected') throw summed.reason;
    signal?.throwIfAborted();
    const output = await open(temporary, 'r+');
    let written: number;
    try {
      await output.sync();
      written = (await output.stat()).size;
    } finally {
      await output.close();
    }
    const result = set.result();
    const wrong: string[] = [];
    if (result.bytes !== expected.bytes) wrong.push(`size expected ${expected.bytes}, read ${result.bytes}`);
    else if (written !== expected.bytes) wrong.push(`size expected ${expected.bytes}, written ${written}`);
    for (const algorithm of ['adler32', 'md5'] as const) {
      if (expected[algorithm] && result[algorithm] !== expected[algorithm]) wrong.push(`${algorithm} expected ${expected[algorithm]}, read ${result[algorithm]}`);
    }
    if (wrong.length > 0) throw new LocalCopyMismatch(wrong.join('; '));
    await chmod(temporary, 0o644);
    await rename(temporary, finalPath);
    committed = true;
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return result;
  } finally {
    if (!committed) await rm(temporary, { force: true }).catch(() => undefined);
  }
}
