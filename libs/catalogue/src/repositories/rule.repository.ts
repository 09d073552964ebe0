import { EntityManager } from 'typeorm';
import { DidType, RuleGrouping, RuleNotification, RuleState, wildcardPattern } from '@tarn/domain';
import type { Rule } from '../entities/rule.entity.js';
import { exceptedDid } from './lifetime-exception.repository.js';

/** A rule row as the services see it (the entity's shape, read with plain SQL). */
export type RuleRecord = Rule;

export interface NewRule {
  id: string;
  subscriptionId?: string | null;
  account: string;
  scope: string;
  name: string;
  didType: DidType;
  state: RuleState;
  rseExpression: string;
  copies: number;
  expiresAt: Date | null;
  weight: string | null;
  locked: boolean;
  sourceReplicaExpression: string | null;
  activity: string;
  grouping: RuleGrouping;
  notification: RuleNotification;
  purgeReplicas: boolean;
  ignoreAvailability: boolean;
  ignoreAccountLimit: boolean;
  priority: number;
  comments: string | null;
  meta: Record<string, unknown> | null;
}

export interface RuleCounters {
  id: string;
  state: RuleState;
  locksOkCnt: number;
  locksReplicatingCnt: number;
  locksStuckCnt: number;
  error: string | null;
  stuckAt: Date | null;
}

export interface RuleFilter {
  /** account, scope and name take `*` as a wildcard (any run of characters), as in Rucio. */
  account?: string;
  scope?: string;
  name?: string;
  id?: string;
  state?: RuleState;
  didType?: DidType;
  grouping?: RuleGrouping;
  rseExpression?: string;
  activity?: string;
  subscriptionId?: string;
  locked?: boolean;
  createdBefore?: Date;
  createdAfter?: Date;
  updatedBefore?: Date;
  updatedAfter?: Date;
  /** Rules on these scopes are left out (restricted scopes the reader may not see). */
  excludeScopes?: string[];
  /** One page of the listing (the web UI's): `limit` rules after `offset`, newest first when `newestFirst`. */
  page?: RulePage;
}

export interface RulePage {
  limit: number;
  offset: number;
  newestFirst: boolean;
}

const COLUMNS = `id, subscription_id, account, scope, name, did_type, state, error, rse_expression, copies, expires_at,
  weight, locked, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt, source_replica_expression, activity, grouping,
  notification, stuck_at, purge_replicas, ignore_availability, ignore_account_limit, priority, comments, child_rule_id,
  eol_at, split_container, meta, repair_cnt, created_at, updated_at`;

export type RuleUpdateColumns = Partial<
  Pick<
    RuleRecord,
    | 'account' | 'state' | 'error' | 'expiresAt' | 'locked' | 'sourceReplicaExpression' | 'activity' | 'stuckAt'
    | 'purgeReplicas' | 'priority' | 'comments' | 'childRuleId' | 'meta' | 'locksOkCnt' | 'locksReplicatingCnt'
    | 'locksStuckCnt' | 'ignoreAccountLimit'
  >
>;

/** Columns `update` may set, by property name. */
const UPDATABLE: Record<keyof RuleUpdateColumns, string> = {
  account: 'account',
  state: 'state',
  error: 'error',
  expiresAt: 'expires_at',
  locked: 'locked',
  sourceReplicaExpression: 'source_replica_expression',
  activity: 'activity',
  stuckAt: 'stuck_at',
  purgeReplicas: 'purge_replicas',
  priority: 'priority',
  comments: 'comments',
  childRuleId: 'child_rule_id',
  meta: 'meta',
  locksOkCnt: 'locks_ok_cnt',
  locksReplicatingCnt: 'locks_replicating_cnt',
  locksStuckCnt: 'locks_stuck_cnt',
  ignoreAccountLimit: 'ignore_account_limit',
};

/* eslint-disable @typescript-eslint/no-explicit-any */
export function toRuleRecord(row: any): RuleRecord {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    account: row.account,
    scope: row.scope,
    name: row.name,
    didType: row.did_type,
    state: row.state,
    error: row.error,
    rseExpression: row.rse_expression,
    copies: Number(row.copies),
    expiresAt: row.expires_at,
    weight: row.weight,
    locked: row.locked,
    locksOkCnt: Number(row.locks_ok_cnt),
    locksReplicatingCnt: Number(row.locks_replicating_cnt),
    locksStuckCnt: Number(row.locks_stuck_cnt),
    sourceReplicaExpression: row.source_replica_expression,
    activity: row.activity,
    grouping: row.grouping,
    notification: row.notification,
    stuckAt: row.stuck_at,
    purgeReplicas: row.purge_replicas,
    ignoreAvailability: row.ignore_availability,
    ignoreAccountLimit: row.ignore_account_limit,
    priority: Number(row.priority),
    comments: row.comments,
    childRuleId: row.child_rule_id,
    eolAt: row.eol_at,
    splitContainer: row.split_container,
    meta: row.meta,
    repairCnt: Number(row.repair_cnt),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function filterSql(filter: RuleFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  const match = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    if (!value.includes('*')) add(`${column} = ?`, value);
    else if (value.replace(/\*/g, '') !== '') add(`${column} LIKE ?`, wildcardPattern(value));
  };
  match('account', filter.account);
  match('scope', filter.scope);
  match('name', filter.name);
  if (filter.id !== undefined) add('id = ?::uuid', filter.id);
  if (filter.state !== undefined) add('state = ?', filter.state);
  if (filter.didType !== undefined) add('did_type = ?', filter.didType);
  if (filter.grouping !== undefined) add('grouping = ?', filter.grouping);
  if (filter.rseExpression !== undefined) add('rse_expression = ?', filter.rseExpression);
  if (filter.activity !== undefined) add('activity = ?', filter.activity);
  if (filter.subscriptionId !== undefined) add('subscription_id = ?::uuid', filter.subscriptionId);
  if (filter.locked !== undefined) add('locked = ?', filter.locked);
  if (filter.createdBefore !== undefined) add('created_at <= ?', filter.createdBefore);
  if (filter.createdAfter !== undefined) add('created_at >= ?', filter.createdAfter);
  if (filter.updatedBefore !== undefined) add('updated_at <= ?', filter.updatedBefore);
  if (filter.updatedAfter !== undefined) add('updated_at >= ?', filter.updatedAfter);
  if (filter.excludeScopes && filter.excludeScopes.length > 0) add('scope <> ALL(?::varchar[])', filter.excludeScopes);
  return where;
}

export const ruleRepository = {
  async insert(manager: EntityManager, rule: NewRule): Promise<void> {
    await manager.query(
      `INSERT INTO rules (id, subscription_id, account, scope, name, did_type, state, rse_expression, copies, expires_at,
         weight, locked, source_replica_expression, activity, grouping, notification, purge_replicas,
         ignore_availability, ignore_account_limit, priority, comments, meta)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
      [
        rule.id, rule.subscriptionId ?? null, rule.account, rule.scope, rule.name, rule.didType, rule.state,
        rule.rseExpression, rule.copies, rule.expiresAt, rule.weight, rule.locked, rule.sourceReplicaExpression,
        rule.activity, rule.grouping, rule.notification, rule.purgeReplicas, rule.ignoreAvailability,
        rule.ignoreAccountLimit, rule.priority, rule.comments, rule.meta === null ? null : JSON.stringify(rule.meta),
      ],
    );
  },

  async findById(
    manager: EntityManager,
    id: string,
    lock: 'none' | 'update' | 'update-skip-locked' = 'none',
  ): Promise<RuleRecord | null> {
    const suffix = lock === 'update' ? ' FOR UPDATE' : lock === 'update-skip-locked' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await manager.query(`SELECT ${COLUMNS} FROM rules WHERE id = $1${suffix}`, [id]);
    return rows.length === 0 ? null : toRuleRecord(rows[0]);
  },

  async findDuplicate(
    manager: EntityManager,
    key: { scope: string; name: string; account: string; rseExpression: string; copies: number },
  ): Promise<string | null> {
    const rows = await manager.query(
      `SELECT id FROM rules WHERE scope = $1 AND name = $2 AND account = $3 AND rse_expression = $4 AND copies = $5`,
      [key.scope, key.name, key.account, key.rseExpression, key.copies],
    );
    return rows.length === 0 ? null : rows[0].id;
  },

  /** Sets the given columns; returns false when the rule does not exist. */
  async update(manager: EntityManager, id: string, columns: RuleUpdateColumns): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [key, value] of Object.entries(columns)) {
      const column = UPDATABLE[key as keyof RuleUpdateColumns];
      if (!column || value === undefined) continue;
      params.push(key === 'meta' && value !== null ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}`);
    }
    sets.push('updated_at = now()');
    const [, count] = await manager.query(`UPDATE rules SET ${sets.join(', ')} WHERE id = $1`, params);
    return count > 0;
  },

  /** Rows locked FOR UPDATE in id order (a consistent order between concurrent writers). */
  async lockCounters(manager: EntityManager, ids: string[]): Promise<RuleRecord[]> {
    if (ids.length === 0) return [];
    const rows = await manager.query(`SELECT ${COLUMNS} FROM rules WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
    return rows.map(toRuleRecord);
  },

  /** Writes counters, state, error and stuck time of many rules in one statement. */
  async writeCounters(manager: EntityManager, rows: RuleCounters[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE rules r
          SET locks_ok_cnt = u.ok, locks_replicating_cnt = u.replicating, locks_stuck_cnt = u.stuck,
              state = u.state::rules_state_enum, error = u.error, stuck_at = u.stuck_at, updated_at = now()
         FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::varchar[], $7::timestamptz[])
              AS u(id, ok, replicating, stuck, state, error, stuck_at)
        WHERE r.id = u.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.locksOkCnt),
        rows.map((r) => r.locksReplicatingCnt),
        rows.map((r) => r.locksStuckCnt),
        rows.map((r) => r.state),
        rows.map((r) => r.error),
        rows.map((r) => r.stuckAt),
      ],
    );
  },

  /** Parents pointing at this rule as their child (made by a move) forget it. */
  async clearChildLinks(manager: EntityManager, childId: string): Promise<void> {
    await manager.query(`UPDATE rules SET child_rule_id = NULL, updated_at = now() WHERE child_rule_id = $1`, [childId]);
  },

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM rules WHERE id = $1`, [id]);
  },

  /** SQL and parameters listing rules in (created_at, id) order, for a cursor (map rows with toRuleRecord). */
  listQuery(filter: RuleFilter): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const where = filterSql(filter, params);
    const { page } = filter;
    const order = page?.newestFirst ? 'created_at DESC, id DESC' : 'created_at, id';
    const window = page ? ` LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}` : '';
    return {
      sql: `SELECT ${COLUMNS} FROM rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}${window}`,
      params,
    };
  },

  /** Rules directly on the DID. */
  async ofDid(manager: EntityManager, scope: string, name: string): Promise<RuleRecord[]> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM rules WHERE scope = $1 AND name = $2 ORDER BY created_at, id`, [
      scope,
      name,
    ]);
    return rows.map(toRuleRecord);
  },

  /** Rules on the DID and on every dataset and container above it (Rucio's list_associated_rules_for_file). */
  async associated(manager: EntityManager, scope: string, name: string): Promise<RuleRecord[]> {
    const rows = await manager.query(
      `WITH RECURSIVE up(scope, name) AS (
         SELECT $1::varchar, $2::varchar
         UNION
         SELECT c.scope, c.name FROM contents c JOIN up ON c.child_scope = up.scope AND c.child_name = up.name
       )
       SELECT ${COLUMNS} FROM rules r WHERE (r.scope, r.name) IN (SELECT scope, name FROM up) ORDER BY created_at, id`,
      [scope, name],
    );
    return rows.map(toRuleRecord);
  },

  /**
   * Expired rules the cleaner may remove: not locked, not moved (a moved rule goes when its child is OK) and not on
   * a DID an approved lifetime exception keeps.
   */
  async expired(manager: EntityManager, now: Date, limit: number): Promise<string[]> {
    const rows = await manager.query(
      `SELECT id FROM rules WHERE expires_at IS NOT NULL AND expires_at <= $1 AND NOT locked AND child_rule_id IS NULL
          AND NOT ${exceptedDid('rules', '$1')}
        ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r: { id: string }) => r.id);
  },

  /** Parents whose child rule (made by a move) is OK. */
  async parentsOfOkChildren(manager: EntityManager, limit: number): Promise<string[]> {
    const rows = await manager.query(
      `SELECT p.id FROM rules p JOIN rules c ON c.id = p.child_rule_id
        WHERE p.child_rule_id IS NOT NULL AND c.state = 'O' ORDER BY p.id LIMIT $1`,
      [limit],
    );
    return rows.map((r: { id: string }) => r.id);
  },

  /** Number of files below a DID (1 for a file). */
  async countFiles(manager: EntityManager, scope: string, name: string, didType: DidType): Promise<number> {
    if (didType === DidType.FILE) return 1;
    const rows = await manager.query(
      `WITH RECURSIVE tree(child_scope, child_name, child_type) AS (
         SELECT c.child_scope, c.child_name, c.child_type::text FROM contents c WHERE c.scope = $1 AND c.name = $2
         UNION
         SELECT c.child_scope, c.child_name, c.child_type::text
           FROM tree t JOIN contents c ON c.scope = t.child_scope AND c.name = t.child_name WHERE t.child_type <> 'F'
       )
       SELECT count(DISTINCT (child_scope, child_name))::bigint AS n FROM tree WHERE child_type = 'F'`,
      [scope, name],
    );
    return Number(rows[0].n);
  },

  /** Datasets at or below a collection DID (for dataset locks of rules on empty datasets). */
  async datasets(manager: EntityManager, scope: string, name: string, didType: DidType): Promise<Array<{ scope: string; name: string }>> {
    if (didType === DidType.FILE) return [];
    if (didType === DidType.DATASET) return [{ scope, name }];
    return manager.query(
      `WITH RECURSIVE tree(child_scope, child_name, child_type) AS (
         SELECT c.child_scope, c.child_name, c.child_type::text FROM contents c WHERE c.scope = $1 AND c.name = $2
         UNION
         SELECT c.child_scope, c.child_name, c.child_type::text
           FROM tree t JOIN contents c ON c.scope = t.child_scope AND c.name = t.child_name WHERE t.child_type = 'C'
       )
       SELECT DISTINCT child_scope AS scope, child_name AS name FROM tree WHERE child_type = 'D'`,
      [scope, name],
    );
  },

  /** A runtime knob from the configs table, or null. */
  async config(manager: EntityManager, section: string, opt: string): Promise<string | null> {
    const rows = await manager.query(`SELECT value FROM configs WHERE section = $1 AND opt = $2`, [section, opt]);
    return rows.length === 0 ? null : rows[0].value;
  },
};
