import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { checksumStream } from '@tarn/checksums';
import { deterministicPath } from '@tarn/domain';
import { Readable } from 'node:stream';
import type { FileSpec } from './did.factory.js';

/** The true size and checksums of some bytes, as a FileSpec of scope:name. */
export async function specOf(scope: string, name: string, content: Buffer): Promise<FileSpec> {
  const sums = await checksumStream(Readable.from([content]), ['adler32', 'md5']);
  return { scope, name, bytes: content.length, adler32: sums.adler32!, md5: sums.md5! };
}

/** Writes `content` where a posix RSE rooted at `root` keeps scope:name (Rucio's `hash` path unless another algorithm). */
export async function writeStoredFile(root: string, scope: string, name: string, content: Buffer, algorithm = 'hash'): Promise<string> {
  const path = join(root, deterministicPath(scope, name, algorithm));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/**
 * `count` files of random content (`bytes` each) written on a posix RSE rooted at `root`, and registered as file
 * DIDs with their true size and checksums (no events, no permissions): replicas of them registered on that RSE
 * pass the replica-registrar's verification.
 */
export async function createStoredFiles(
  dataSource: DataSource,
  input: { scope: string; account: string; root: string; count?: number; bytes?: number; prefix?: string },
): Promise<FileSpec[]> {
  const prefix = input.prefix ?? `stored.${randomBytes(4).toString('hex')}`;
  const files: FileSpec[] = [];
  for (let i = 0; i < (input.count ?? 1); i++) {
    const name = `${prefix}.${String(i).padStart(6, '0')}`;
    const content = randomBytes(input.bytes ?? 1000);
    await writeStoredFile(input.root, input.scope, name, content);
    files.push(await specOf(input.scope, name, content));
  }
  await dataSource.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT u.scope, u.name, $1, 'F', u.bytes, u.adler32, u.md5
       FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[]) AS u(scope, name, bytes, adler32, md5)`,
    [input.account, files.map((f) => f.scope), files.map((f) => f.name), files.map((f) => f.bytes), files.map((f) => f.adler32), files.map((f) => f.md5)],
  );
  return files;
}
