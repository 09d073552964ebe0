import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DidType, InvalidInput, LifetimeExceptionState, NotFound, validateDid, type Did as DidKey } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { readConfigSection } from '@tarn/catalogue/repositories/config.repository.js';
import { openCursor } from '@tarn/catalogue/repositories/did.repository.js';
import {
  lifetimeExceptionRepository,
  type ExceptionCandidate,
  type LifetimeExceptionRecord,
} from '@tarn/catalogue/repositories/lifetime-exception.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';
import { openRowStream, type RowStream } from '../dids/row-stream.js';

/** At most this many DIDs per request (the stock client sends chunks of 500). */
export const MAX_EXCEPTION_DIDS = 1000;
/** How far an exception may reach when the configs section lifetime_model sets no max_extension (days). */
export const DEFAULT_MAX_EXTENSION_DAYS = 365;
const DAY_MS = 86_400_000;

export interface ExceptionRequest {
  dids: DidKey[];
  pattern?: string | null;
  comments: string;
  expiresAt?: Date | null;
}

type ExceptedDid = { scope: string; name: string; didType: DidType };

/** What became of each DID of a request (Rucio's add_exception answer). */
export interface ExceptionRequestResult {
  /** New exception ids (one per scope and datatype), with their DIDs. */
  exceptions: Record<string, ExceptedDid[]>;
  /** DIDs that do not exist (or that the requester may not read). */
  unknown: DidKey[];
  /** DIDs with no lifetime to except: neither they nor a rule on them expire (before the cutoff date). */
  notAffected: ExceptedDid[];
  expiresAt: Date;
}

const invalid = (message: string) => new InvalidInput(message, { rucioClass: 'InputValidationError' });

function parseState(state: unknown): LifetimeExceptionState {
  const text = typeof state === 'string' ? state.trim().toUpperCase() : '';
  if (text === 'A' || text === 'APPROVED') return LifetimeExceptionState.APPROVED;
  if (text === 'R' || text === 'REJECTED') return LifetimeExceptionState.REJECTED;
  throw new InvalidInput(`An exception is APPROVED or REJECTED, not ${JSON.stringify(state)}.`, { rucioClass: 'UnsupportedOperation' });
}

/** The lifetime of a candidate DID: its own expiry or its earliest rule's, whichever comes first. */
function lifetimeEnd(did: ExceptionCandidate): Date | null {
  const ends = [did.expiredAt, did.ruleExpiresAt].filter((d): d is Date => d !== null).map((d) => new Date(d));
  return ends.length === 0 ? null : new Date(Math.min(...ends.map((d) => d.getTime())));
}

/**
 * Rucio's lifetime model exceptions: an account asks to keep DIDs past their lifetime, with a reason and an end
 * date; an administrator approves or rejects. While an approved exception lasts, the undertaker keeps its expired
 * DIDs and the rule-cleaner their expired rules; afterwards both proceed. The configs section lifetime_model sets
 * max_extension (days an exception may reach, default 365) and cutoff_date (YYYY-MM-DD: only lifetimes ending
 * before it may be excepted, and no request is taken after it).
 */
@Injectable()
export class LifetimeExceptionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async request(issuer: Issuer, input: ExceptionRequest): Promise<ExceptionRequestResult> {
    const dids = this.validDids(input?.dids);
    const comments = typeof input.comments === 'string' ? input.comments.trim() : '';
    if (!comments) throw invalid('Say why the DIDs must outlive their lifetime (comments), for the administrator who approves it.');
    if (comments.length > 4000) throw invalid(`The comments have ${comments.length} characters; at most 4000.`);
    const pattern = input.pattern ?? null;
    if (pattern !== null && (typeof pattern !== 'string' || pattern.length > 255)) throw invalid('The pattern is a text of at most 255 characters.');
    return unitOfWork(this.dataSource, { what: `lifetime exception for ${dids.length} DID(s)` }, async (manager) => {
      const settings = await readConfigSection(manager, 'lifetime_model');
      const now = Date.now();
      const maxDays = Number(settings.get('max_extension') ?? DEFAULT_MAX_EXTENSION_DAYS);
      const limit = new Date(now + (Number.isFinite(maxDays) && maxDays > 0 ? maxDays : DEFAULT_MAX_EXTENSION_DAYS) * DAY_MS);
      const wanted = input.expiresAt ?? limit;
      if (Number.isNaN(wanted.getTime()) || wanted.getTime() <= now) throw invalid(`An exception must end in the future, not at ${String(input.expiresAt)}.`);
      const expiresAt = wanted > limit ? limit : wanted;
      const cutoff = settings.has('cutoff_date') ? new Date(`${settings.get('cutoff_date')}T00:00:00Z`) : null;
      if (cutoff && (Number.isNaN(cutoff.getTime()) || cutoff.getTime() < now)) {
        throw new InvalidInput(`Lifetime exceptions are no longer taken: the cutoff date (lifetime_model.cutoff_date) was ${settings.get('cutoff_date')}.`, {
          rucioClass: 'UnsupportedOperation',
        });
      }

      const hidden = new Set(await this.permissions.unreadableScopes(manager, issuer));
      const candidates = await lifetimeExceptionRepository.candidates(manager, dids.filter((d) => !hidden.has(d.scope)));
      const found = new Set(candidates.map((c) => `${c.scope}:${c.name}`));
      const groups = new Map<string, ExceptedDid[]>();
      const notAffected: ExceptedDid[] = [];
      for (const did of candidates) {
        const end = lifetimeEnd(did);
        const entry = { scope: did.scope, name: did.name, didType: did.didType };
        if (end === null || (cutoff && end >= cutoff)) {
          notAffected.push(entry);
          continue;
        }
        const key = `${did.scope}\u0000${did.datatype ?? ''}`;
        groups.set(key, [...(groups.get(key) ?? []), entry]);
      }
      const exceptions: Record<string, ExceptedDid[]> = {};
      for (const group of groups.values()) {
        const id = randomUUID();
        await lifetimeExceptionRepository.insert(manager, { id, account: issuer.account, pattern, comments, expiresAt }, group);
        exceptions[id] = group;
      }
      const unknown = dids.filter((d) => !found.has(`${d.scope}:${d.name}`));
      return { exceptions, unknown, notAffected, expiresAt };
    });
  }

  /** Exceptions, one row per DID (an administrator sees all; others those on DIDs they may read). */
  async list(issuer: Issuer, filter: { id?: string; states?: LifetimeExceptionState[] } = {}): Promise<RowStream<LifetimeExceptionRecord>> {
    if (filter.id !== undefined) this.validId(filter.id);
    return openRowStream(this.dataSource, 'lifetime exceptions', async (manager) => {
      if (filter.id !== undefined && !(await lifetimeExceptionRepository.exists(manager, filter.id))) throw this.notFound(filter.id);
      const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
      const { sql, params } = lifetimeExceptionRepository.list({ ...filter, excludeScopes });
      return openCursor(manager, sql, params);
    });
  }

  /** Approves or rejects an exception (administrators, as in Rucio). */
  async decide(issuer: Issuer, id: string, state: unknown): Promise<LifetimeExceptionState> {
    this.permissions.assertAdmin(issuer, 'approve or reject lifetime exceptions');
    this.validId(id);
    const decided = parseState(state);
    await unitOfWork(this.dataSource, { what: `lifetime exception ${id}` }, async (manager) => {
      if ((await lifetimeExceptionRepository.setState(manager, id, decided)) === 0) throw this.notFound(id);
    });
    return decided;
  }

  private validDids(dids: unknown): DidKey[] {
    if (!Array.isArray(dids) || dids.length === 0) throw invalid('Give the DIDs to except as dids: [{"scope": ..., "name": ...}].');
    if (dids.length > MAX_EXCEPTION_DIDS) throw invalid(`At most ${MAX_EXCEPTION_DIDS} DIDs per request; ${dids.length} were given. Send them in chunks.`);
    const seen = new Map<string, DidKey>();
    for (const did of dids) {
      if (!did || typeof did !== 'object') throw invalid(`Each DID is {"scope": ..., "name": ...}, not ${JSON.stringify(did)}.`);
      const { scope, name } = validateDid({ scope: (did as DidKey).scope, name: (did as DidKey).name });
      seen.set(`${scope}:${name}`, { scope, name });
    }
    return [...seen.values()];
  }

  private validId(id: string): void {
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(id)) throw this.notFound(id);
  }

  private notFound(id: string): NotFound {
    return new NotFound(`No lifetime exception '${id}'. List them with GET /lifetime_exceptions/.`, { rucioClass: 'LifetimeExceptionNotFound' });
  }
}
