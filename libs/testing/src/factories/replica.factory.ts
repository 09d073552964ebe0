import { DataSource } from 'typeorm';
import { ReplicaState } from '@tarn/domain';

export interface ReplicaFactoryInput {
  rseId: string;
  files: ReadonlyArray<{ scope: string; name: string; bytes: number; adler32?: string | null; md5?: string | null }>;
  state?: ReplicaState;
  lockCnt?: number;
  tombstone?: Date | null;
  accessedAt?: Date | null;
  path?: string | null;
}

/** Inserts replica rows directly (no locks, events or usage), e.g. data already on an RSE before a rule. */
export async function createReplicas(dataSource: DataSource, input: ReplicaFactoryInput): Promise<void> {
  await dataSource.query(
    `INSERT INTO replicas (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt, tombstone, accessed_at, path)
     SELECT u.scope, u.name, $1, u.bytes, u.adler32, u.md5, $7, $8, $9, $10, $11
       FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[]) AS u(scope, name, bytes, adler32, md5)`,
    [
      input.rseId,
      input.files.map((f) => f.scope),
      input.files.map((f) => f.name),
      input.files.map((f) => f.bytes),
      input.files.map((f) => f.adler32 ?? null),
      input.files.map((f) => f.md5 ?? null),
      input.state ?? ReplicaState.AVAILABLE,
      input.lockCnt ?? 0,
      input.tombstone ?? null,
      input.accessedAt ?? null,
      input.path ?? null,
    ],
  );
}

export interface ReplicaRow {
  scope: string;
  name: string;
  rseId: string;
  state: ReplicaState;
  lockCnt: number;
  tombstone: Date | null;
  accessedAt: Date | null;
  path: string | null;
  bytes: number;
}

/** The replica rows of a file (or of every file of `scope` when `name` is omitted), by RSE id. */
export async function readReplicas(dataSource: DataSource, scope: string, name?: string): Promise<ReplicaRow[]> {
  const rows = await dataSource.query(
    `SELECT scope, name, rse_id, state, lock_cnt, tombstone, accessed_at, path, bytes FROM replicas
      WHERE scope = $1 AND ($2::varchar IS NULL OR name = $2) ORDER BY name, rse_id`,
    [scope, name ?? null],
  );
  return rows.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState; lock_cnt: number; tombstone: Date | null; accessed_at: Date | null; path: string | null; bytes: string }) => ({
    scope: r.scope,
    name: r.name,
    rseId: r.rse_id,
    state: r.state,
    lockCnt: Number(r.lock_cnt),
    tombstone: r.tombstone,
    accessedAt: r.accessed_at,
    path: r.path,
    bytes: Number(r.bytes),
  }));
}
