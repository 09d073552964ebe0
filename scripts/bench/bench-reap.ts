/** What the reaper's benches share: a posix RSE it may empty, files on it, and their tombstoned replicas. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { deterministicPath } from '@tarn/domain';
import { settleBounded } from '@tarn/core/bounded.js';

/** BENCH_DISK: a posix RSE on `dir`, greedy (its reapable replicas go at once); returns its id. */
export async function createReapableRse(ds: DataSource, dir: string): Promise<string> {
  const [{ id }] = await ds.query(`INSERT INTO rses (rse) VALUES ('BENCH_DISK') RETURNING id`);
  await ds.query(
    `INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, read_wan, write_wan, delete_wan)
     VALUES ($1, 'file', 'localhost', 0, $2, 'rucio.rse.protocols.posix.Default', 1, 1, 1)`,
    [id, dir],
  );
  await ds.query(`INSERT INTO rse_attributes (rse_id, key, value) VALUES ($1, 'greedyDeletion', 'true'::jsonb)`, [id]);
  return id;
}

/** Files of 100 bytes at the deterministic paths of `names` under `dir`, 64 written at once. */
export async function writeReapableFiles(dir: string, scope: string, names: readonly string[]): Promise<void> {
  const paths = names.map((name) => join(dir, deterministicPath(scope, name)));
  await settleBounded([...new Set(paths.map((p) => dirname(p)))], 64, (d) => mkdir(d, { recursive: true }));
  const written = await settleBounded(paths, 64, (p) => writeFile(p, Buffer.alloc(100, 1)));
  const failed = written.find((w) => w.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Their replicas on the RSE, AVAILABLE, unlocked and tombstoned at the epoch: reapable now. */
export async function insertReapableReplicas(ds: DataSource, rseId: string, scope: string, names: readonly string[]): Promise<void> {
  await ds.query(
    `INSERT INTO replicas (scope, name, rse_id, bytes, state, lock_cnt, tombstone) SELECT $2, n, $1, 100, 'A', 0, 'epoch' FROM unnest($3::varchar[]) AS n`,
    [rseId, scope, names],
  );
}
