import { EntityManager } from 'typeorm';
import type { SubscriptionState } from '@tarn/domain';

export interface SubscriptionRecord {
  id: string;
  name: string;
  account: string;
  state: SubscriptionState;
  filter: Record<string, unknown>;
  replicationRules: Record<string, unknown>[];
  retroactive: boolean;
  comments: string | null;
  /** Rucio's policyid: the priority of the subscription's rules, 1 to 5 (default 3). */
  priority: number;
  lastProcessed: Date | null;
  expiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type SubscriptionFields = Pick<SubscriptionRecord, 'name' | 'account' | 'state' | 'filter' | 'replicationRules' | 'retroactive' | 'comments' | 'priority' | 'expiredAt'>;

const COLUMNS = `s.id, s.name, s.account, s.state, s.filter, s.replication_rules AS "replicationRules", s.retroactive, s.comments,
  s.priority, s.last_processed AS "lastProcessed", s.expired_at AS "expiredAt", s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;

export const subscriptionRepository = {
  async insert(manager: EntityManager, f: SubscriptionFields): Promise<SubscriptionRecord | null> {
    const rows = await manager.query(
      `INSERT INTO subscriptions AS s (name, account, state, filter, replication_rules, retroactive, comments, expired_at, priority)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9)
       ON CONFLICT (name, account) DO NOTHING RETURNING ${COLUMNS}`,
      [f.name, f.account, f.state, JSON.stringify(f.filter), JSON.stringify(f.replicationRules), f.retroactive, f.comments, f.expiredAt, f.priority],
    );
    return rows[0] ?? null;
  },

  async update(manager: EntityManager, id: string, f: SubscriptionFields): Promise<SubscriptionRecord> {
    const [rows] = await manager.query(
      `UPDATE subscriptions s SET state = $2, filter = $3::jsonb, replication_rules = $4::jsonb, retroactive = $5, comments = $6,
              expired_at = $7, priority = $8, updated_at = now()
        WHERE s.id = $1 RETURNING ${COLUMNS}`,
      [id, f.state, JSON.stringify(f.filter), JSON.stringify(f.replicationRules), f.retroactive, f.comments, f.expiredAt, f.priority],
    );
    return rows[0];
  },

  async list(manager: EntityManager, by: { account?: string | null; name?: string | null; id?: string | null; states?: string[] | null }): Promise<SubscriptionRecord[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM subscriptions s
        WHERE ($1::varchar IS NULL OR s.account = $1) AND ($2::varchar IS NULL OR s.name = $2) AND ($3::uuid IS NULL OR s.id = $3)
          AND ($4::text[] IS NULL OR s.state::text = ANY($4::text[]))
        ORDER BY s.account, s.name`,
      [by.account ?? null, by.name ?? null, by.id ?? null, by.states ?? null],
    );
  },

  /** How many rules each subscription made are in each state, for one account (`*` a wildcard) or all, or one subscription. */
  async ruleStates(manager: EntityManager, account: string | null, name: string | null = null): Promise<Array<{ account: string; name: string; state: string; count: number }>> {
    const like = account === null ? null : account.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
    return manager.query(
      `SELECT s.account, s.name, r.state, count(*)::int AS count
         FROM subscriptions s JOIN rules r ON r.subscription_id = s.id
        WHERE ($1::varchar IS NULL OR s.account LIKE $1) AND ($2::varchar IS NULL OR s.name = $2)
        GROUP BY s.account, s.name, r.state ORDER BY s.account, s.name, r.state`,
      [like, name],
    );
  },

  /** Deletes a subscription and its record of handled DIDs (the rules it made stay). */
  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM subscription_dids WHERE subscription_id = $1`, [id]);
    await manager.query(`DELETE FROM subscriptions WHERE id = $1`, [id]);
  },

  async setLastProcessed(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.query(`UPDATE subscriptions SET last_processed = $2 WHERE id = $1`, [id, at]);
  },

  /** Which of these DIDs the subscription has handled already. */
  async handled(manager: EntityManager, id: string, dids: readonly { scope: string; name: string }[]): Promise<Set<string>> {
    if (dids.length === 0) return new Set();
    const rows = await manager.query(
      `SELECT d.scope, d.name FROM subscription_dids d JOIN unnest($2::varchar[], $3::varchar[]) AS k(scope, name) ON d.scope = k.scope AND d.name = k.name
        WHERE d.subscription_id = $1`,
      [id, dids.map((d) => d.scope), dids.map((d) => d.name)],
    );
    return new Set(rows.map((r: { scope: string; name: string }) => `${r.scope}:${r.name}`));
  },

  async markHandled(manager: EntityManager, id: string, did: { scope: string; name: string }, rulesCreated: number): Promise<void> {
    await manager.query(
      `INSERT INTO subscription_dids (subscription_id, scope, name, rules_created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [id, did.scope, did.name, rulesCreated],
    );
  },

  /** Rules a subscription already made on a DID (a crash between the rules and markHandled). */
  async rulesOf(manager: EntityManager, id: string, did: { scope: string; name: string }): Promise<number> {
    const [row] = await manager.query(`SELECT count(*)::int AS n FROM rules WHERE subscription_id = $1 AND scope = $2 AND name = $3`, [id, did.scope, did.name]);
    return row.n;
  },

  async scopes(manager: EntityManager): Promise<string[]> {
    const rows = await manager.query(`SELECT scope FROM scopes ORDER BY scope`);
    return rows.map((r: { scope: string }) => r.scope);
  },
};
