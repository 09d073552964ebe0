import { EntityManager } from 'typeorm';
import { DidType, LifetimeExceptionState, type Did as DidKey } from '@tarn/domain';

/** One DID of a lifetime exception. */
export interface LifetimeExceptionRecord {
  id: string;
  scope: string;
  name: string;
  didType: DidType;
  account: string;
  pattern: string | null;
  comments: string | null;
  state: LifetimeExceptionState;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A DID asked to be excepted, as the catalogue knows it: what its lifetime is and what it weighs. */
export interface ExceptionCandidate {
  scope: string;
  name: string;
  didType: DidType;
  bytes: number;
  /** The DID's own expiry (Rucio's eol_at). */
  expiredAt: Date | null;
  /** The earliest expiry of a rule directly on the DID, if any rule expires. */
  ruleExpiresAt: Date | null;
  datatype: string | null;
}

/** An expired DID (or rule) that an approved lifetime exception keeps, until when. */
export interface KeptByException {
  exceptionId: string;
  scope: string;
  name: string;
  expiredAt: Date;
  keptUntil: Date;
}

/**
 * SQL true when an approved exception that has not expired covers the DID `<alias>.scope, <alias>.name` at `now`
 * (a parameter reference such as `$1`): the undertaker keeps such a DID, the rule-cleaner its rules.
 */
export function exceptedDid(alias: string, now: string): string {
  return `EXISTS (SELECT 1 FROM lifetime_exceptions lx
                   WHERE lx.scope = ${alias}.scope AND lx.name = ${alias}.name AND lx.state = 'A' AND lx.expires_at > ${now})`;
}

const COLUMNS = `id, scope, name, did_type AS "didType", account, pattern, comments, state, expires_at AS "expiresAt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export const lifetimeExceptionRepository = {
  /** The DIDs among `keys` that exist, with their lifetimes, in one round trip. */
  async candidates(manager: EntityManager, keys: readonly DidKey[]): Promise<ExceptionCandidate[]> {
    if (keys.length === 0) return [];
    const rows = await manager.query(
      `SELECT d.scope, d.name, d.did_type AS "didType", coalesce(d.bytes, 0) AS bytes, d.expired_at AS "expiredAt",
              (SELECT min(r.expires_at) FROM rules r WHERE r.scope = d.scope AND r.name = d.name) AS "ruleExpiresAt",
              m.meta ->> 'datatype' AS datatype
         FROM unnest($1::varchar[], $2::varchar[]) AS k(scope, name)
         JOIN dids d ON d.scope = k.scope AND d.name = k.name
         LEFT JOIN did_meta m ON m.scope = d.scope AND m.name = d.name`,
      [keys.map((k) => k.scope), keys.map((k) => k.name)],
    );
    return rows.map((r: ExceptionCandidate) => ({ ...r, bytes: Number(r.bytes) }));
  },

  /** Records the DIDs of one exception, in one statement. */
  async insert(
    manager: EntityManager,
    exception: { id: string; account: string; pattern: string | null; comments: string | null; expiresAt: Date },
    dids: readonly { scope: string; name: string; didType: DidType }[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO lifetime_exceptions (id, scope, name, did_type, account, pattern, comments, state, expires_at)
       SELECT $1, k.scope, k.name, k.did_type::lifetime_exceptions_did_type_enum, $5, $6, $7, 'W', $8
         FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS k(scope, name, did_type)`,
      [
        exception.id,
        dids.map((d) => d.scope),
        dids.map((d) => d.name),
        dids.map((d) => d.didType),
        exception.account,
        exception.pattern,
        exception.comments,
        exception.expiresAt,
      ],
    );
  },

  /** Exceptions, one row per DID, newest first; `excludeScopes` hides DIDs the reader may not see. */
  list(filter: { id?: string; states?: LifetimeExceptionState[]; excludeScopes?: string[] }): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT ${COLUMNS} FROM lifetime_exceptions
             WHERE ($1::uuid IS NULL OR id = $1)
               AND ($2::varchar[] IS NULL OR state::varchar = ANY($2))
               AND NOT (scope = ANY($3::varchar[]))
             ORDER BY created_at DESC, id, scope, name`,
      params: [filter.id ?? null, filter.states?.length ? filter.states : null, filter.excludeScopes ?? []],
    };
  },

  async exists(manager: EntityManager, id: string): Promise<boolean> {
    return (await manager.query(`SELECT 1 FROM lifetime_exceptions WHERE id = $1 LIMIT 1`, [id])).length > 0;
  },

  /**
   * Approves or rejects an exception; returns how many DIDs it covers (0: no such exception). The DIDs and their
   * rules are share-locked first, so an undertaker or rule-cleaner that already claimed one finishes before the
   * approval counts, and one that has not yet will see it.
   */
  async setState(manager: EntityManager, id: string, state: LifetimeExceptionState): Promise<number> {
    await manager.query(
      `SELECT 1 FROM dids d JOIN lifetime_exceptions x ON x.scope = d.scope AND x.name = d.name WHERE x.id = $1 FOR SHARE OF d`,
      [id],
    );
    await manager.query(
      `SELECT 1 FROM rules r JOIN lifetime_exceptions x ON x.scope = r.scope AND x.name = r.name WHERE x.id = $1 FOR SHARE OF r`,
      [id],
    );
    const [, count] = await manager.query(`UPDATE lifetime_exceptions SET state = $2, updated_at = now() WHERE id = $1`, [id, state]);
    return count;
  },

  /** Whether an approved, unexpired exception covers the DID now (re-checked under the rule's lock). */
  async covers(manager: EntityManager, did: DidKey, now: Date): Promise<boolean> {
    const rows = await manager.query(`SELECT ${exceptedDid('k', '$3')} AS covered FROM (SELECT $1::varchar AS scope, $2::varchar AS name) k`, [
      did.scope,
      did.name,
      now,
    ]);
    return rows[0].covered === true;
  },

  /** Expired DIDs an approved exception keeps now, with the exception that ends last. */
  async keptDids(manager: EntityManager, now: Date, limit: number): Promise<KeptByException[]> {
    return manager.query(
      `SELECT DISTINCT ON (d.scope, d.name) x.id AS "exceptionId", d.scope, d.name, d.expired_at AS "expiredAt", x.expires_at AS "keptUntil"
         FROM dids d JOIN lifetime_exceptions x ON x.scope = d.scope AND x.name = d.name AND x.state = 'A' AND x.expires_at > $1
        WHERE d.expired_at < $1
        ORDER BY d.scope, d.name, x.expires_at DESC
        LIMIT $2`,
      [now, limit],
    );
  },

  /** Expired rules on DIDs an approved exception keeps now. */
  async keptRules(manager: EntityManager, now: Date, limit: number): Promise<(KeptByException & { ruleId: string })[]> {
    return manager.query(
      `SELECT DISTINCT ON (r.id) r.id AS "ruleId", x.id AS "exceptionId", r.scope, r.name, r.expires_at AS "expiredAt", x.expires_at AS "keptUntil"
         FROM rules r JOIN lifetime_exceptions x ON x.scope = r.scope AND x.name = r.name AND x.state = 'A' AND x.expires_at > $1
        WHERE r.expires_at <= $1 AND NOT r.locked
        ORDER BY r.id, x.expires_at DESC
        LIMIT $2`,
      [now, limit],
    );
  },
};
