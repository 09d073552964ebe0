import { EntityManager } from 'typeorm';
import { EPOCH_TOMBSTONE, LockState } from '@tarn/domain';
import { UpdatedDidAction } from '../entities/did.entity.js';
import type { NewDatasetLock } from './dataset-lock.repository.js';
import type { DidKey, RecursiveFileRow } from './did.repository.js';
import { keyArrays, type ReplicaKey, textArray } from './replica.repository.js';

/** The queue rows of one DID, claimed together (locked until the caller's transaction ends). */
export interface ClaimedUpdatedDid extends DidKey {
  ids: number[];
  actions: Set<UpdatedDidAction>;
}

/** A lock a rule holds on one replica. */
export interface HeldLock extends ReplicaKey {
  state: LockState;
  bytes: number;
}

/** A dataset lock's key: which dataset of the rule on which RSE. */
export interface DatasetLockKey extends DidKey {
  rseId: string;
}

/** The collections at and below $1:$2 (the recursion never enters files). */
const TREE = `tree(scope, name) AS (
    SELECT $1::varchar, $2::varchar
    UNION
    SELECT c.child_scope, c.child_name FROM contents c JOIN tree t ON c.scope = t.scope AND c.name = t.name WHERE c.child_type <> 'F'
  )`;


/** SQL of the rule evaluator (attach/detach re-evaluation), the injector's chunks and lock moves. */
export const ruleReevaluationRepository = {
  /**
   * Claims every queue row of the oldest DID no other evaluator holds (FOR UPDATE SKIP LOCKED), up to
   * `limit` rows, skipping the DIDs in `exclude` (those that failed earlier in the same pass).
   */
  async claimNextDid(manager: EntityManager, exclude: readonly DidKey[], limit: number): Promise<ClaimedUpdatedDid | null> {
    const rows: Array<{ id: string; scope: string; name: string; action: UpdatedDidAction }> = await manager.query(
      `SELECT id, scope, name, rule_evaluation_action AS action FROM updated_dids
        WHERE (scope, name) = (
                SELECT u.scope, u.name FROM updated_dids u
                 WHERE NOT EXISTS (SELECT 1 FROM unnest($1::varchar[], $2::varchar[]) AS x(scope, name)
                                    WHERE x.scope = u.scope AND x.name = u.name)
                 ORDER BY u.id LIMIT 1 FOR UPDATE SKIP LOCKED)
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [exclude.map((d) => d.scope), exclude.map((d) => d.name), limit],
    );
    if (rows.length === 0) return null;
    return { scope: rows[0].scope, name: rows[0].name, ids: rows.map((r) => Number(r.id)), actions: new Set(rows.map((r) => r.action)) };
  },

  /** Queue rows waiting (for metrics and tests). */
  async queueLength(manager: EntityManager): Promise<number> {
    const [{ n }] = await manager.query(`SELECT count(*)::bigint AS n FROM updated_dids`);
    return Number(n);
  },

  /**
   * Files at or below `below` (a collection, or a file itself) for which the rule holds fewer than `copies`
   * locks, at most `limit` distinct files in key order; one row per (file, dataset it is directly in), like
   * listFilesRecursive.
   */
  async filesMissingLocks(manager: EntityManager, ruleId: string, copies: number, below: DidKey, limit: number): Promise<RecursiveFileRow[]> {
    const rows = await manager.query(
      `WITH RECURSIVE ${TREE},
       entries AS (
         SELECT c.child_scope AS scope, c.child_name AS name, c.bytes, c.adler32, c.md5, c.scope AS ds_scope, c.name AS ds_name
           FROM tree t JOIN contents c ON c.scope = t.scope AND c.name = t.name AND c.child_type = 'F'
         UNION ALL
         SELECT d.scope, d.name, d.bytes, d.adler32, d.md5, NULL, NULL FROM dids d WHERE d.scope = $1 AND d.name = $2 AND d.did_type = 'F'
       ), counted AS (
         -- The file's locks by primary key (OFFSET 0 keeps the rule out of the probe: with the rule's id in it the
         -- planner may walk all of the rule's locks per file when its statistics are stale).
         SELECT e.*, (SELECT count(*) FROM (SELECT l.rule_id FROM locks l WHERE l.scope = e.scope AND l.name = e.name OFFSET 0) x
                       WHERE x.rule_id = $3) AS locked
           FROM entries e
       ), missing AS (
         SELECT c.*, dense_rank() OVER (ORDER BY c.scope, c.name) AS k FROM counted c WHERE c.locked < $4
       )
       SELECT scope, name, bytes, adler32, md5, ds_scope AS "datasetScope", ds_name AS "datasetName"
         FROM missing WHERE k <= $5 ORDER BY scope, name`,
      [below.scope, below.name, ruleId, copies, limit],
    );
    return rows.map((r: RecursiveFileRow) => ({ ...r, bytes: r.bytes === null ? null : Number(r.bytes) }));
  },

  /** The locks the rule already holds on these files. */
  async locksOnFiles(manager: EntityManager, ruleId: string, files: readonly DidKey[]): Promise<ReplicaKey[]> {
    if (files.length === 0) return [];
    const rows = await manager.query(
      `SELECT l.scope, l.name, l.rse_id FROM unnest($1::varchar[], $2::varchar[]) AS f(scope, name)
         JOIN locks l ON l.scope = f.scope AND l.name = f.name AND l.rule_id = $3`,
      [textArray(files.map((f) => f.scope)), textArray(files.map((f) => f.name)), ruleId],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
  },

  /** The RSEs of the rule's dataset locks, per dataset (all of the rule's when `datasets` is null). */
  async datasetLockRses(manager: EntityManager, ruleId: string, datasets: readonly DidKey[] | null): Promise<DatasetLockKey[]> {
    if (datasets !== null && datasets.length === 0) return [];
    const rows = await manager.query(
      `SELECT dl.scope, dl.name, dl.rse_id FROM dataset_locks dl
        WHERE dl.rule_id = $1
          AND ($2::varchar[] IS NULL OR (dl.scope, dl.name) IN (SELECT * FROM unnest($2::varchar[], $3::varchar[])))
        ORDER BY dl.created_at, dl.rse_id`,
      [ruleId, datasets === null ? null : datasets.map((d) => d.scope), datasets === null ? null : datasets.map((d) => d.name)],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string }) => ({ scope: r.scope, name: r.name, rseId: r.rse_id }));
  },

  /** The RSEs the rule's file locks are on, most used first (for ALL grouping when it has no dataset locks). */
  async lockRses(manager: EntityManager, ruleId: string): Promise<string[]> {
    const rows = await manager.query(
      `SELECT rse_id FROM locks WHERE rule_id = $1 GROUP BY rse_id ORDER BY count(*) DESC, rse_id`,
      [ruleId],
    );
    return rows.map((r: { rse_id: string }) => r.rse_id);
  },

  /**
   * The rule's locks on files no longer at or below its DID (detached), locked FOR UPDATE in key order so
   * that their state cannot change (a transfer finishing) before they are removed.
   */
  async locksOutside(manager: EntityManager, ruleId: string, did: DidKey): Promise<HeldLock[]> {
    const rows = await manager.query(
      `WITH RECURSIVE ${TREE}
       SELECT l.scope, l.name, l.rse_id, l.state, l.bytes FROM locks l
        WHERE l.rule_id = $3
          -- Per lock: is the file still directly in one of the collections (a primary-key probe per collection)?
          AND NOT EXISTS (SELECT 1 FROM tree t JOIN contents c
                                 ON c.scope = t.scope AND c.name = t.name AND c.child_scope = l.scope AND c.child_name = l.name)
        ORDER BY l.scope, l.name, l.rse_id
        FOR UPDATE OF l`,
      [did.scope, did.name, ruleId],
    );
    return rows.map((r: { scope: string; name: string; rse_id: string; state: LockState; bytes: string }) => ({
      scope: r.scope,
      name: r.name,
      rseId: r.rse_id,
      state: r.state,
      bytes: Number(r.bytes),
    }));
  },

  /**
   * Releases the replicas of locks about to be removed (keys sorted): lock_cnt - 1; one left without locks gets
   * its tombstone (the epoch when purging, when it was never completed, or when its file DID is gone; otherwise
   * its last access, so least-recently-used goes first); a COPYING one left without locks becomes UNAVAILABLE.
   */
  async releaseReplicas(manager: EntityManager, keys: readonly ReplicaKey[], purgeReplicas: boolean): Promise<void> {
    if (keys.length === 0) return;
    await manager.query(
      `UPDATE replicas r
          SET lock_cnt = GREATEST(r.lock_cnt - 1, 0),
              tombstone = CASE
                WHEN r.lock_cnt - 1 > 0 THEN r.tombstone
                WHEN $4 OR r.state IN ('C', 'U')
                  OR NOT EXISTS (SELECT 1 FROM dids d WHERE d.scope = r.scope AND d.name = r.name) THEN $5::timestamptz
                ELSE coalesce(r.accessed_at, now()) END,
              state = CASE WHEN r.lock_cnt - 1 <= 0 AND r.state = 'C' THEN 'U' ELSE r.state END,
              updated_at = now()
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
        WHERE r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id`,
      [...keyArrays(keys), purgeReplicas, EPOCH_TOMBSTONE],
    );
  },

  async deleteLocks(manager: EntityManager, ruleId: string, keys: readonly ReplicaKey[]): Promise<number> {
    if (keys.length === 0) return 0;
    const [, count] = await manager.query(
      `DELETE FROM locks l USING unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
        WHERE l.rule_id = $4 AND l.scope = u.scope AND l.name = u.name AND l.rse_id = u.rse_id`,
      [...keyArrays(keys), ruleId],
    );
    return count;
  },

  /** Dataset locks for newly locked files: new ones inserted, existing ones grow (length, bytes; worst state). */
  async addDatasetLocks(manager: EntityManager, ruleId: string, account: string, locks: readonly NewDatasetLock[]): Promise<void> {
    if (locks.length === 0) return;
    const rows = [...locks].sort((a, b) =>
      a.scope !== b.scope ? (a.scope < b.scope ? -1 : 1) : a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.rseId < b.rseId ? -1 : 1,
    );
    await manager.query(
      `INSERT INTO dataset_locks AS d (scope, name, rule_id, rse_id, account, state, length, bytes)
       SELECT u.scope, u.name, $1, u.rse_id, $2, u.state, u.length, u.bytes
         FROM unnest($3::varchar[], $4::varchar[], $5::uuid[], $6::dataset_locks_state_enum[], $7::bigint[], $8::bigint[])
              AS u(scope, name, rse_id, state, length, bytes)
       ON CONFLICT (scope, name, rule_id, rse_id) DO UPDATE
          SET length = coalesce(d.length, 0) + EXCLUDED.length, bytes = coalesce(d.bytes, 0) + EXCLUDED.bytes,
              state = CASE WHEN d.state = 'S' OR EXCLUDED.state = 'S' THEN 'S'::dataset_locks_state_enum
                           WHEN d.state = 'R' OR EXCLUDED.state = 'R' THEN 'R'::dataset_locks_state_enum
                           ELSE 'O'::dataset_locks_state_enum END,
              updated_at = now()`,
      [
        ruleId,
        account,
        rows.map((l) => l.scope),
        rows.map((l) => l.name),
        rows.map((l) => l.rseId),
        rows.map((l) => l.state),
        rows.map((l) => l.length),
        rows.map((l) => l.bytes),
      ],
    );
  },

  /** Removes the rule's dataset locks on datasets no longer at or below its DID. */
  async pruneDatasetLocks(manager: EntityManager, ruleId: string, did: DidKey): Promise<number> {
    const [, count] = await manager.query(
      `WITH RECURSIVE ${TREE}
       DELETE FROM dataset_locks dl
        WHERE dl.rule_id = $3 AND NOT EXISTS (SELECT 1 FROM tree t WHERE t.scope = dl.scope AND t.name = dl.name)`,
      [did.scope, did.name, ruleId],
    );
    return count;
  },

  /** Recounts length and bytes of the rule's dataset locks on these datasets from its file locks. */
  async recountDatasetLocks(manager: EntityManager, ruleId: string, datasets: readonly DidKey[]): Promise<void> {
    if (datasets.length === 0) return;
    await manager.query(
      `UPDATE dataset_locks dl SET length = s.length, bytes = s.bytes, updated_at = now()
         FROM (SELECT dl2.scope, dl2.name, dl2.rse_id, count(l.scope) AS length, coalesce(sum(l.bytes), 0) AS bytes
                 FROM dataset_locks dl2
                 JOIN (SELECT DISTINCT * FROM unnest($1::varchar[], $2::varchar[])) AS d(scope, name) ON dl2.scope = d.scope AND dl2.name = d.name
                 LEFT JOIN contents c ON c.scope = dl2.scope AND c.name = dl2.name AND c.child_type = 'F'
                 LEFT JOIN locks l ON l.scope = c.child_scope AND l.name = c.child_name AND l.rule_id = dl2.rule_id AND l.rse_id = dl2.rse_id
                WHERE dl2.rule_id = $3
                GROUP BY dl2.scope, dl2.name, dl2.rse_id) s
        WHERE dl.rule_id = $3 AND dl.scope = s.scope AND dl.name = s.name AND dl.rse_id = s.rse_id`,
      [datasets.map((d) => d.scope), datasets.map((d) => d.name), ruleId],
    );
  },

  /** Deletes the rule's dataset locks among `keys` that cover no file any more (after a lock moved away). */
  async deleteEmptyDatasetLocks(manager: EntityManager, ruleId: string, keys: readonly DatasetLockKey[]): Promise<void> {
    if (keys.length === 0) return;
    await manager.query(
      `DELETE FROM dataset_locks dl USING unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
        WHERE dl.rule_id = $4 AND dl.scope = u.scope AND dl.name = u.name AND dl.rse_id = u.rse_id AND coalesce(dl.length, 0) <= 0`,
      [keys.map((k) => k.scope), keys.map((k) => k.name), keys.map((k) => k.rseId), ruleId],
    );
  },

  /** The datasets at or below the DID that directly hold these files (for dataset locks of moved locks). */
  async datasetsOfFiles(manager: EntityManager, did: DidKey, files: readonly DidKey[]): Promise<Array<DidKey & { fileScope: string; fileName: string }>> {
    if (files.length === 0) return [];
    return manager.query(
      `WITH RECURSIVE ${TREE}
       SELECT c.scope, c.name, c.child_scope AS "fileScope", c.child_name AS "fileName"
         FROM unnest($3::varchar[], $4::varchar[]) AS f(scope, name)
         JOIN contents c ON c.child_scope = f.scope AND c.child_name = f.name
        WHERE EXISTS (SELECT 1 FROM tree t WHERE t.scope = c.scope AND t.name = c.name)
        ORDER BY c.child_scope, c.child_name, c.scope, c.name`,
      [did.scope, did.name, files.map((f) => f.scope), files.map((f) => f.name)],
    );
  },
};
