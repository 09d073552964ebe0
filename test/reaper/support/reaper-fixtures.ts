import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { deterministicPath } from '@tarn/domain';
import { createRse, type CreatedRse, type RseFactoryInput } from '@tarn/testing/factories/rse.factory.js';
import { createFiles, type FileSpec } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';

export interface PosixRse extends CreatedRse {
  dir: string;
  drop(): Promise<void>;
}

/** An RSE on a fresh local directory, with a posix protocol for read, write and delete. */
export async function createPosixRse(dataSource: DataSource, input: RseFactoryInput = {}): Promise<PosixRse> {
  const dir = await mkdtemp(join(tmpdir(), 'tarn-reaper-'));
  const rse = await createRse(dataSource, {
    ...input,
    protocols: [{ scheme: 'file', prefix: dir, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } } }],
  });
  return { ...rse, dir, drop: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * `count` files of `bytes` bytes in `scope`, written on the RSE at their deterministic paths, with AVAILABLE
 * unlocked replicas whose tombstones are `tombstone(i)` (null: none).
 */
export async function seedReplicas(
  dataSource: DataSource,
  rse: PosixRse,
  input: { scope: string; account: string; count: number; bytes: number; prefix: string; tombstone: (i: number) => Date | null },
): Promise<FileSpec[]> {
  const files = await createFiles(dataSource, { scope: input.scope, account: input.account, count: input.count, prefix: input.prefix, bytes: input.bytes });
  const body = Buffer.alloc(input.bytes, 7);
  await Promise.all(
    files.map(async (f) => {
      const path = join(rse.dir, deterministicPath(f.scope, f.name));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body);
    }),
  );
  await createReplicas(dataSource, { rseId: rse.id, files });
  await dataSource.query(
    `UPDATE replicas r SET tombstone = u.tombstone FROM unnest($2::varchar[], $3::timestamptz[]) AS u(name, tombstone)
      WHERE r.rse_id = $1 AND r.scope = $4 AND r.name = u.name`,
    [rse.id, files.map((f) => f.name), files.map((_, i) => input.tombstone(i)?.toISOString() ?? null), input.scope],
  );
  return files;
}

/** Paths of every file under the RSE's directory, relative to it. */
export async function filesOnDisk(rse: PosixRse): Promise<Set<string>> {
  const found = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(dir, entry.name), rel ? `${rel}/${entry.name}` : entry.name);
      else found.add(rel ? `${rel}/${entry.name}` : entry.name);
    }
  };
  await walk(rse.dir, '');
  return found;
}

export async function replicaNames(dataSource: DataSource, rseId: string): Promise<Set<string>> {
  const rows = await dataSource.query(`SELECT name FROM replicas WHERE rse_id = $1`, [rseId]);
  return new Set(rows.map((r: { name: string }) => r.name));
}
