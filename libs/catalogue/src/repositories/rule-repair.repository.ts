import { EntityManager } from 'typeorm';
import { LockReasonCode, LockState, ReplicaState, stuckAtPlacement } from '@tarn/domain';
import { keyArrays, OutboxColumns, plainArray, PROBE_RSE, type ReplicaKey } from './replica.repository.js';
import { queuedEvents } from './request.repository.js';

/** A STUCK lock of a rule, with its failures so far and last error. */
export interface StuckLock extends ReplicaKey {
  bytes: number;
  /** Checksums of the file DID (for the transfer of a retry). */
  adler32: string | null;
  md5: string | null;
  repairCnt: number;
  error: string | null;
}

type StuckLockRow = { scope: string; name: string; rse_id: string; bytes: string; repair_cnt: number; error: string | null; adler32: string | null; md5: string | null };

function stuckLockOf(r: StuckLockRow): StuckLock {
  return {
    scope: r.scope,
    name: r.name,
    rseId: r.rse_id,
    bytes: Number(r.bytes),
    adler32: r.adler32,
    md5: r.md5,
    repairCnt: Number(r.repair_cnt),
    error: r.error,
  };
}

/** Backoff of the repairer: the n-th attempt waits min(max, base * 2^n) seconds after the previous one. */
export interface RepairBackoff {
  baseSeconds: number;
  maxSeconds: number;
}


/** SQL of the rule repairer and of the injector's and cleaner's listings. */
export const ruleRepairRepository = {
  /**
   * STUCK rules whose backoff is over: the last attempt (stuck_at) lies at least min(max, base * 2^repair_cnt)
   * seconds back. Oldest first.
   */
  async stuckRulesDue(manager: EntityManager, now: Date, backoff: RepairBackoff, limit: number): Promise<string[]> {
    const rows = await manager.query(
      `SELECT id FROM rules
        WHERE state = 'S'
          AND coalesce(stuck_at, updated_at)
              + make_interval(secs => LEAST($2::float8, $3::float8 * power(2::float8, LEAST(repair_cnt, 60)))) <= $1
        ORDER BY coalesce(stuck_at, updated_at), id LIMIT $4`,
      [now, backoff.maxSeconds, backoff.baseSeconds, limit],
    );
    return rows.map((r: { id: string }) => r.id);
  },

  /** Counts a repair attempt: repair_cnt + 1 and stuck_at = now (the start of the next backoff). */
  async countAttempt(manager: EntityManager, ruleId: string, now: Date): Promise<number> {
    const [rows] = await manager.query(
      `UPDATE rules SET repair_cnt = repair_cnt + 1, stuck_at = $2, updated_at = now() WHERE id = $1 RETURNING repair_cnt`,
      [ruleId, now],
    );
    return Number(rows[0]?.repair_cnt ?? 0);
  },

  /** The rule's STUCK locks, locked FOR UPDATE in key order (at most `limit`). */
  async stuckLocks(manager: EntityManager, ruleId: string, limit: number): Promise<StuckLock[]> {
    const rows = await manager.query(
      `SELECT l.scope, l.name, l.rse_id, l.bytes, l.repair_cnt, l.error, d.adler32, d.md5
         FROM locks l LEFT JOIN dids d ON d.scope = l.scope AND d.name = l.name
        WHERE l.rule_id = $1 AND l.state = 'S' ORDER BY l.scope, l.name, l.rse_id LIMIT $2 FOR UPDATE OF l`,
      [ruleId, limit],
    );
    return rows.map(stuckLockOf);
  },

  /**
   * STUCK locks that found no source (reason NO_SOURCE), of rules still REPLICATING or STUCK, on these files:
   * locked FOR UPDATE SKIP LOCKED (one a repairer holds is being retried already), in rule then key order.
   */
  async unsourcedStuckLocks(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>): Promise<Array<StuckLock & { ruleId: string }>> {
    if (files.length === 0) return [];
    const rows = await manager.query(
      `SELECT l.rule_id, l.scope, l.name, l.rse_id, l.bytes, l.repair_cnt, l.error, d.adler32, d.md5
         FROM (SELECT DISTINCT * FROM unnest($1::varchar[], $2::varchar[]) AS f(scope, name)) f
         JOIN locks l ON l.scope = f.scope AND l.name = f.name AND l.state = 'S' AND l.reason_code = $3
         JOIN rules r ON r.id = l.rule_id AND r.state IN ('R', 'S')
         LEFT JOIN dids d ON d.scope = l.scope AND d.name = l.name
        ORDER BY l.rule_id, l.scope, l.name, l.rse_id FOR UPDATE OF l SKIP LOCKED`,
      [files.map((f) => f.scope), files.map((f) => f.name), LockReasonCode.NO_SOURCE],
    );
    return rows.map((r: StuckLockRow & { rule_id: string }) => ({ ruleId: r.rule_id, ...stuckLockOf(r) }));
  },

  /** Existing replicas among `keys` (sorted), locked FOR UPDATE, with their state. */
  async lockReplicas(manager: EntityManager, keys: readonly ReplicaKey[]): Promise<Map<string, ReplicaState>> {
    if (keys.length === 0) return new Map();
    const rows = await manager.query(
      `SELECT r.scope, r.name, r.rse_id, r.state
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
         JOIN replicas r ON r.scope = u.scope AND r.name = u.name AND r.rse_id = u.rse_id
        ORDER BY r.scope, r.name, r.rse_id FOR UPDATE OF r`,
      keyArrays(keys),
    );
    return new Map(rows.map((r: { scope: string; name: string; rse_id: string; state: ReplicaState }) => [`${r.scope}:${r.name}@${r.rse_id}`, r.state]));
  },

  /** Replicas to copy again: UNAVAILABLE or BAD ones become COPYING; missing ones are inserted COPYING. */
  async prepareCopies(
    manager: EntityManager,
    rows: ReadonlyArray<ReplicaKey & { bytes: number }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO replicas AS r (scope, name, rse_id, bytes, adler32, md5, state, lock_cnt, tombstone)
       SELECT u.scope, u.name, u.rse_id, u.bytes, d.adler32, d.md5, 'C',
              (SELECT count(*) FROM locks l WHERE l.scope = u.scope AND l.name = u.name AND ${PROBE_RSE('l', 'u')}), NULL
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::bigint[]) AS u(scope, name, rse_id, bytes)
         LEFT JOIN dids d ON d.scope = u.scope AND d.name = u.name
       ON CONFLICT (scope, name, rse_id) DO UPDATE
          SET state = CASE WHEN r.state IN ('U', 'D') THEN 'C'::replicas_state_enum ELSE r.state END,
              tombstone = NULL, updated_at = now()`,
      [...keyArrays(rows), plainArray(rows.map((r) => r.bytes))],
    );
  },

  /**
   * Sets the state of these locks of the rule and counts a repair on each (their last error stays): OK ones lose their
   * reason, STUCK ones wait for their replica's deletion; the caller refreshes the reasons of the REPLICATING ones.
   */
  async retryLocks(manager: EntityManager, ruleId: string, rows: ReadonlyArray<ReplicaKey & { state: LockState }>): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE locks l SET state = u.state, repair_cnt = l.repair_cnt + 1, updated_at = now(),
              reason_code = CASE u.state WHEN 'O' THEN NULL WHEN 'S' THEN $6 ELSE l.reason_code END,
              reason = CASE u.state WHEN 'O' THEN NULL WHEN 'S' THEN $7 ELSE l.reason END
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::locks_state_enum[]) AS u(scope, name, rse_id, state)
        WHERE l.rule_id = $5 AND l.scope = u.scope AND l.name = u.name AND l.rse_id = u.rse_id`,
      [...keyArrays(rows), rows.map((r) => r.state), ruleId, stuckAtPlacement.beingDeleted().code, stuckAtPlacement.beingDeleted().text],
    );
  },

  /**
   * Failed or lost transfers to these replicas are queued again (a fresh attempt for the transfer daemons,
   * their last error kept), with transfer.queued outbox rows (one per rule and destination). Returns how many.
   */
  async requeueFailed(manager: EntityManager, keys: readonly ReplicaKey[], ruleId: string, outbox: OutboxColumns): Promise<number> {
    if (keys.length === 0) return 0;
    const [{ n }] = await manager.query(
      `WITH requeued AS (
         UPDATE requests q
            SET state = 'Q', source_rse_id = NULL, external_id = NULL, external_host = NULL, submitted_at = NULL,
                started_at = NULL, transferred_at = NULL, retry_after = NULL, retry_count = 0, requested_at = now(),
                rule_id = coalesce(q.rule_id, $4), updated_at = now()
           FROM unnest($1::varchar[], $2::varchar[], $3::uuid[]) AS u(scope, name, rse_id)
          WHERE q.scope = u.scope AND q.name = u.name AND q.dest_rse_id = u.rse_id AND q.request_type = 'T'
            AND q.state IN ('F', 'L')
          RETURNING q.dest_rse_id, q.rule_id
       )${queuedEvents('requeued', '$5', '$6', '$7')}`,
      [...keyArrays(keys), ruleId, outbox.topic, outbox.eventType, outbox.version],
    );
    return n;
  },

  /** Sets the last error of these locks of the rule (e.g. on a lock moved away from a failing RSE). */
  async setLockErrors(manager: EntityManager, ruleId: string, rows: ReadonlyArray<ReplicaKey & { error: string }>): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE locks l SET error = u.error, updated_at = now()
         FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[]) AS u(scope, name, rse_id, error)
        WHERE l.rule_id = $5 AND l.scope = u.scope AND l.name = u.name AND l.rse_id = u.rse_id`,
      [...keyArrays(rows), rows.map((r) => r.error.slice(0, 4000)), ruleId],
    );
  },

  /** Suspends a rule (the repairer gave up), keeping why. */
  async suspend(manager: EntityManager, ruleId: string, error: string): Promise<void> {
    await manager.query(`UPDATE rules SET state = 'U', error = $2, updated_at = now() WHERE id = $1`, [ruleId, error.slice(0, 4000)]);
  },

  /** INJECT rules, least recently touched first: a large rule evaluated in chunks goes to the back after each chunk. */
  async injectRuleIds(manager: EntityManager, limit: number): Promise<string[]> {
    const rows = await manager.query(`SELECT id FROM rules WHERE state = 'I' ORDER BY updated_at, id LIMIT $1`, [limit]);
    return rows.map((r: { id: string }) => r.id);
  },

  /** Expired rules the cleaner leaves alone because they are locked, oldest expiry first. */
  async expiredLockedRules(manager: EntityManager, now: Date, limit: number): Promise<Array<{ id: string; scope: string; name: string; expiresAt: Date }>> {
    const rows = await manager.query(
      `SELECT id, scope, name, expires_at FROM rules WHERE expires_at IS NOT NULL AND expires_at <= $1 AND locked
        ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r: { id: string; scope: string; name: string; expires_at: Date }) => ({ id: r.id, scope: r.scope, name: r.name, expiresAt: r.expires_at }));
  },

  /** Ids of the rules directly on these DIDs, in id order. */
  async ruleIdsOnDids(manager: EntityManager, dids: ReadonlyArray<{ scope: string; name: string }>): Promise<string[]> {
    if (dids.length === 0) return [];
    const rows = await manager.query(
      `SELECT r.id FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name) JOIN rules r ON r.scope = k.scope AND r.name = k.name
        ORDER BY r.id`,
      [dids.map((d) => d.scope), dids.map((d) => d.name)],
    );
    return rows.map((r: { id: string }) => r.id);
  },

  /** Unlocked replicas of these files get `tombstone` (their file DIDs were deleted); returns how many. */
  async tombstoneUnlockedReplicas(manager: EntityManager, files: ReadonlyArray<{ scope: string; name: string }>, tombstone: Date): Promise<number> {
    if (files.length === 0) return 0;
    const [, count] = await manager.query(
      `UPDATE replicas r SET tombstone = $3, updated_at = now()
         FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
        WHERE r.scope = k.scope AND r.name = k.name AND r.lock_cnt = 0`,
      [files.map((f) => f.scope), files.map((f) => f.name), tombstone],
    );
    return count;
  },

  /** Expired DIDs the undertaker leaves alone because a locked rule is on them, with that rule. */
  async expiredDidsProtected(manager: EntityManager, now: Date, limit: number): Promise<Array<{ scope: string; name: string; ruleId: string; expiredAt: Date }>> {
    const rows = await manager.query(
      `SELECT d.scope, d.name, d.expired_at, (SELECT r.id FROM rules r WHERE r.scope = d.scope AND r.name = d.name AND r.locked
                                                ORDER BY r.created_at LIMIT 1) AS rule_id
         FROM dids d
        WHERE d.expired_at IS NOT NULL AND d.expired_at < $1
          AND EXISTS (SELECT 1 FROM rules r WHERE r.scope = d.scope AND r.name = d.name AND r.locked)
        ORDER BY d.expired_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r: { scope: string; name: string; rule_id: string; expired_at: Date }) => ({
      scope: r.scope,
      name: r.name,
      ruleId: r.rule_id,
      expiredAt: r.expired_at,
    }));
  },
};
