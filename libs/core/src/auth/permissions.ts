import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Forbidden, NotFound } from '@tarn/domain';
import type { Issuer } from './issuer.js';

interface ScopeAccess {
  scope: string;
  account: string;
  restricted: boolean;
  granted: boolean;
}

/**
 * The one permission policy of Tarn, called by every state-changing service method (and by reads of
 * embargoed scopes). Admins may do everything; an account writes in the scopes it owns or was granted,
 * manages its own rules, and reads restricted scopes only when it owns or was granted them. A member of a group (from
 * its OIDC token's groups claim) may do what a grant to the group, or the group's ownership of a scope, allows.
 */
@Injectable()
export class Permissions {
  assertAdmin(issuer: Issuer, action: string): void {
    if (!issuer.admin) {
      throw new Forbidden(`Account '${issuer.account}' may not ${action}: only administrators may. Ask an administrator.`);
    }
  }

  assertSelfOrAdmin(issuer: Issuer, account: string, action: string): void {
    if (!issuer.admin && issuer.account !== account) {
      throw new Forbidden(
        `Account '${issuer.account}' may not ${action} of account '${account}': only that account or an administrator may.`,
      );
    }
  }

  /**
   * Whether the issuer was granted each scope: a grant to its account or to one of its groups, or the scope belongs to
   * one of its groups (members act in their group's scopes as granted accounts do).
   */
  private async scopeAccess(manager: EntityManager, issuer: Issuer, scopes: string[]): Promise<Map<string, ScopeAccess>> {
    const groups = [...(issuer.groups ?? [])];
    const rows: ScopeAccess[] = await manager.query(
      `SELECT s.scope, s.account, s.restricted,
              (s.account = ANY($3::varchar[])
               OR EXISTS (SELECT 1 FROM scope_grants g WHERE g.scope = s.scope AND g.account = ANY($2::varchar[]))) AS granted
         FROM scopes s WHERE s.scope = ANY($1::varchar[])`,
      [scopes, [issuer.account, ...groups], groups],
    );
    return new Map(rows.map((r) => [r.scope, r]));
  }

  /** The issuer may create, attach, detach, close and annotate DIDs in these scopes. */
  async assertCanWriteScopes(manager: EntityManager, issuer: Issuer, scopes: Iterable<string>): Promise<void> {
    const wanted = [...new Set(scopes)];
    if (wanted.length === 0) return;
    const access = await this.scopeAccess(manager, issuer, wanted);
    for (const scope of wanted) {
      const row = access.get(scope);
      if (!row) throw NotFound.scope(scope);
      if (!issuer.admin && row.account !== issuer.account && !row.granted) {
        throw new Forbidden(
          `Account '${issuer.account}' may not write in scope '${scope}', which belongs to '${row.account}'. ` +
            `Use a scope of your own, or ask '${row.account}' or an administrator to grant you access.`,
        );
      }
    }
  }

  /** The issuer may read these scopes: always, unless a scope is restricted (embargoed) and not theirs. */
  async assertCanReadScopes(manager: EntityManager, issuer: Issuer, scopes: Iterable<string>): Promise<void> {
    const wanted = [...new Set(scopes)];
    if (wanted.length === 0 || issuer.admin) return;
    const access = await this.scopeAccess(manager, issuer, wanted);
    for (const scope of wanted) {
      const row = access.get(scope);
      if (!row) throw NotFound.scope(scope);
      if (row.restricted && row.account !== issuer.account && !row.granted) {
        throw new Forbidden(
          `Scope '${scope}' is restricted: only '${row.account}' and the accounts and groups it grants may read it. Ask '${row.account}' for access.`,
          { rucioClass: 'AccessDenied', details: { scope } },
        );
      }
    }
  }

  /** Restricted scopes the issuer may not read, to filter listings that span scopes. */
  async unreadableScopes(manager: EntityManager, issuer: Issuer): Promise<string[]> {
    if (issuer.admin) return [];
    const accounts = [issuer.account, ...(issuer.groups ?? [])];
    const rows: { scope: string }[] = await manager.query(
      `SELECT s.scope FROM scopes s
        WHERE s.restricted AND s.account <> ALL($1::varchar[])
          AND NOT EXISTS (SELECT 1 FROM scope_grants g WHERE g.scope = s.scope AND g.account = ANY($1::varchar[]))`,
      [accounts],
    );
    return rows.map((r) => r.scope);
  }

  /** Rules are managed by the account they belong to, and by administrators. */
  assertCanManageRule(issuer: Issuer, rule: { id: string; account: string }, action: string): void {
    if (!issuer.admin && issuer.account !== rule.account) {
      throw new Forbidden(
        `Account '${issuer.account}' may not ${action} rule ${rule.id}: it belongs to '${rule.account}'. Only that account or an administrator may.`,
      );
    }
  }
}
