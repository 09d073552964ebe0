import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { type ExpiryInput, NotFound, resolveExpiry, validateDid } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { deleteContentsOfParents } from '@tarn/catalogue/repositories/content.repository.js';
import {
  type DidKey,
  type ExpiredDidRow,
  listExpiredDids,
  moveDidsToDeleted,
  setDidExpiry,
} from '@tarn/catalogue/repositories/did.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { detachFromAllParents } from './did-attachment.js';

/** Lifetimes of DIDs and their deletion (for the undertaker): deleted names stay reserved. */
@Injectable()
export class DidLifecycleService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  /** Sets (lifetime in seconds, or an absolute expiresAt) or clears (null / neither) a DID's expiry. */
  async setLifetime(issuer: Issuer, scope: string, name: string, expiry: ExpiryInput | null): Promise<Date | null> {
    validateDid({ scope, name });
    const expiredAt = expiry ? resolveExpiry(expiry, new Date(), `the lifetime of ${scope}:${name}`) : null;
    return unitOfWork(this.dataSource, { what: `lifetime of ${scope}:${name}` }, async (manager) => {
      await this.permissions.assertCanWriteScopes(manager, issuer, [scope]);
      if ((await setDidExpiry(manager, [{ scope, name }], expiredAt)) === 0) throw NotFound.did(scope, name);
      return expiredAt;
    });
  }

  /**
   * Expired DIDs no locked rule protects, oldest first, locked for the caller's transaction (SKIP LOCKED, so
   * several undertakers share the work).
   */
  listExpired(manager: EntityManager, limit: number, now = new Date()): Promise<ExpiredDidRow[]> {
    return listExpiredDids(manager, now, limit);
  }

  /**
   * Deletes DIDs inside the caller's transaction, set-based: detaches them from their parents (queueing the
   * parents for the rule evaluator, with did.detached events), removes their own content edges and metadata, and
   * moves them to deleted_dids so their names stay reserved. Rules and replicas are the caller's business.
   */
  async deleteDids(manager: EntityManager, dids: DidKey[]): Promise<{ deleted: number; detachedFromParents: number }> {
    if (dids.length === 0) return { deleted: 0, detachedFromParents: 0 };
    const detached = await detachFromAllParents(manager, dids);
    await deleteContentsOfParents(manager, dids);
    const moved = await moveDidsToDeleted(manager, dids);
    return { deleted: moved.length, detachedFromParents: detached.length };
  }
}
