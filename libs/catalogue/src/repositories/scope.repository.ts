import { EntityManager } from 'typeorm';

export interface ScopeRow {
  scope: string;
  account: string;
  isDefault: boolean;
  restricted: boolean;
  closed: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const SCOPE_COLUMNS = `scope, account, is_default AS "isDefault", restricted, closed, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Inserts the scope unless it exists; true when it was inserted. */
export async function insertScope(manager: EntityManager, scope: { scope: string; account: string; isDefault?: boolean }): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO scopes (scope, account, is_default) VALUES ($1, $2, $3) ON CONFLICT (scope) DO NOTHING RETURNING scope`,
    [scope.scope, scope.account, scope.isDefault ?? false],
  );
  return rows.length === 1;
}

export async function findScope(manager: EntityManager, scope: string, options: { lock?: boolean } = {}): Promise<ScopeRow | null> {
  const rows = await manager.query(`SELECT ${SCOPE_COLUMNS} FROM scopes WHERE scope = $1${options.lock ? ' FOR UPDATE' : ''}`, [scope]);
  return rows[0] ?? null;
}

export async function listScopes(manager: EntityManager, filter: { account?: string } = {}): Promise<ScopeRow[]> {
  return manager.query(
    `SELECT ${SCOPE_COLUMNS} FROM scopes WHERE ($1::varchar IS NULL OR account = $1) ORDER BY scope`,
    [filter.account ?? null],
  );
}

export async function updateScopeRestricted(manager: EntityManager, scope: string, restricted: boolean): Promise<void> {
  await manager.query(`UPDATE scopes SET restricted = $2, updated_at = now() WHERE scope = $1`, [scope, restricted]);
}

/** Grants unless granted; true when the grant was added. */
/** Gives a scope another owner; false when the scope does not exist. */
export async function updateScopeAccount(manager: EntityManager, scope: string, account: string): Promise<boolean> {
  const [, count] = await manager.query(`UPDATE scopes SET account = $2, updated_at = now() WHERE scope = $1`, [scope, account]);
  return count > 0;
}

export async function insertScopeGrant(manager: EntityManager, scope: string, account: string): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO scope_grants (scope, account) VALUES ($1, $2) ON CONFLICT (scope, account) DO NOTHING RETURNING account`,
    [scope, account],
  );
  return rows.length === 1;
}

export async function deleteScopeGrant(manager: EntityManager, scope: string, account: string): Promise<boolean> {
  const [, count] = await manager.query(`DELETE FROM scope_grants WHERE scope = $1 AND account = $2`, [scope, account]);
  return count > 0;
}

export async function listScopeGrants(manager: EntityManager, scope: string): Promise<string[]> {
  const rows: { account: string }[] = await manager.query(`SELECT account FROM scope_grants WHERE scope = $1 ORDER BY account`, [scope]);
  return rows.map((r) => r.account);
}
