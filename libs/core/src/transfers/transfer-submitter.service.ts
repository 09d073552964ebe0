import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { transferRequestRepository, type AdmittedRequest } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { appendEvents, tarnEvent, type TarnEvent } from '@tarn/events';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import { refreshLockReasons } from '../rules/lock-reasons.js';
import { TRANSFER_SCHEMES } from './transfer-endpoints.js';
import { readThrottleSettings } from './transfer-settings.js';
import { TRANSFER_TOOL, type TransferTool } from './transfer-tool.js';

/** Requests submitted on one link (RSE names). */
export interface SubmittedLink {
  src: string;
  dst: string;
  count: number;
}

export interface SubmitOutcome {
  /** Requests handed to the transfer tool. */
  submitted: number;
  /** The same, counted per link. */
  links: SubmittedLink[];
  /** Requests without any usable source: NO_SOURCES (the finisher retries them, then the lock is STUCK). */
  unsourced: number;
}

/**
 * The transfer submitter's unit of work: QUEUED (and WAITING) requests due now, admitted by the throttler (configs
 * section `throttler`), get their sources ranked and are SUBMITTED to the transfer tool, in one transaction with their
 * transfer.submitted events (transfer.failed for those without a source); those the throttler holds back become
 * WAITING. The locks waiting for them say so.
 */
@Injectable()
export class TransferSubmitterService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
    @Inject(TRANSFER_TOOL) private readonly tool: TransferTool,
  ) {}

  async submitBatch(batchSize = 1000, perAccount = batchSize): Promise<SubmitOutcome> {
    return unitOfWork(this.dataSource, { what: 'transfer submission' }, async (manager) => {
      const throttle = await readThrottleSettings(manager);
      const admitted = await transferRequestRepository.claimQueued(manager, { batchSize, perAccount, ...throttle });
      if (admitted.length === 0) {
        await refreshLockReasons(manager, await transferRequestRepository.markThrottled(manager, throttle));
        return { submitted: 0, links: [], unsourced: 0 };
      }
      const restrictions = await this.sourceRestrictions(manager, admitted);
      const { submitted, unsourced } = await transferRequestRepository.submitWithSources(
        manager,
        admitted.map((a) => a.id),
        restrictions,
        TRANSFER_SCHEMES,
        this.tool.name,
      );
      await this.tool.submit(manager, submitted);
      const throttled = await transferRequestRepository.markThrottled(manager, throttle);
      await refreshLockReasons(manager, [...submitted, ...unsourced].map((r) => ({ scope: r.scope, name: r.name, rseId: r.destRseId })).concat(throttled));
      const events: TarnEvent[] = submitted.map((s) =>
        tarnEvent('transfer.submitted', { requestId: s.id, scope: s.scope, name: s.name, destRseId: s.destRseId, sourceRseId: s.sourceRseId }),
      );
      for (const u of unsourced) {
        events.push(tarnEvent('transfer.failed', { requestId: u.id, scope: u.scope, name: u.name, destRseId: u.destRseId, error: u.error, attempt: u.attempt }));
      }
      await appendEvents(manager, events);
      return { submitted: submitted.length, links: await this.links(manager, submitted), unsourced: unsourced.length };
    });
  }

  /** Submitted requests counted per (source, destination), by RSE name (from the RSE cache: no statement as a rule). */
  private async links(manager: EntityManager, submitted: ReadonlyArray<{ sourceRseId: string; destRseId: string }>): Promise<SubmittedLink[]> {
    if (submitted.length === 0) return [];
    const names = new Map((await this.expressions.all(manager)).map((r) => [r.id, r.name]));
    const counts = new Map<string, SubmittedLink>();
    for (const s of submitted) {
      const src = names.get(s.sourceRseId) ?? 'none';
      const dst = names.get(s.destRseId) ?? 'none';
      const link = counts.get(`${src}\0${dst}`) ?? { src, dst, count: 0 };
      link.count++;
      counts.set(`${src}\0${dst}`, link);
    }
    return [...counts.values()];
  }

  /** (request, RSE) pairs allowed by the source_replica_expression of the requests that have one. */
  private async sourceRestrictions(manager: EntityManager, admitted: readonly AdmittedRequest[]): Promise<Array<{ requestId: string; rseId: string }>> {
    const byExpression = new Map<string, string[]>();
    for (const a of admitted) {
      if (a.sourceExpression) byExpression.set(a.sourceExpression, [...(byExpression.get(a.sourceExpression) ?? []), a.id]);
    }
    const pairs: Array<{ requestId: string; rseId: string }> = [];
    for (const [expression, ids] of byExpression) {
      let rses: Array<{ id: string }>;
      try {
        rses = await this.expressions.resolve(manager, expression, { allowEmpty: true });
      } catch {
        rses = []; // an expression that no longer parses allows no source: NO_SOURCES says so
      }
      for (const requestId of ids) for (const rse of rses) pairs.push({ requestId, rseId: rse.id });
    }
    return pairs;
  }
}
