import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { overviewRepository, type HourlyCountRow } from '@tarn/catalogue/repositories/overview.repository.js';
import { listRseUsage } from '@tarn/catalogue/repositories/rse-usage.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { RseExpressionService } from '../rses/rse-expression.service.js';
import type { Backlog, HourBucket, Overview, Problem, RseOverview } from './overview.types.js';

/** The window of the overview's charts. */
export const OVERVIEW_HOURS = 24;
const HOUR_MS = 3_600_000;
/** Failure groups shown at most. */
const MAX_REASONS = 20;

/** Past these ages a backlog is a problem worth showing (seconds), on the overview and by tarn doctor. */
export const BACKLOG_LIMITS = { queuedTransfer: 3600, verification: 900, updatedDid: 600, unpublished: 60, consumer: 300 };

/** `3 transfers`, `1 transfer`. */
const counted = (n: number, thing: string, things = `${thing}s`) => `${n} ${n === 1 ? thing : things}`;

function duration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86_400)} days`;
}

/** `hours` one-hour buckets ending with the current hour, zero where nothing happened. */
export function hourBuckets(rows: HourlyCountRow[], now: Date, hours: number, isDone: (kind: string) => boolean): HourBucket[] {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const buckets = Array.from({ length: hours }, (_, i) => ({ hour: new Date(current - (hours - 1 - i) * HOUR_MS), done: 0, failed: 0, bytes: 0 }));
  for (const row of rows) {
    const index = hours - 1 - Math.round((current - row.hour.getTime()) / HOUR_MS);
    const bucket = buckets[index];
    if (!bucket) continue;
    if (isDone(row.kind)) {
      bucket.done += row.count;
      bucket.bytes += row.bytes;
    } else bucket.failed += row.count;
  }
  return buckets;
}

/** What the numbers say is wrong, in words an operator acts on. */
export function findProblems(overview: Omit<Overview, 'problems'>): Problem[] {
  const problems: Problem[] = [];
  const { backlog, rulesByState, transfers } = overview;
  const stuck = rulesByState.S ?? 0;
  if (stuck > 0) problems.push({ severity: 'error', what: `${stuck} rule${stuck === 1 ? ' is' : 's are'} STUCK: a lock failed after its retries (the rule's locks say why).` });
  const suspended = rulesByState.U ?? 0;
  if (suspended > 0) problems.push({ severity: 'warning', what: `${suspended} rule${suspended === 1 ? ' is' : 's are'} SUSPENDED: given up after too many attempts.` });
  const lastHour = transfers.lastHour;
  if (lastHour.failed > 0) {
    const attempts = lastHour.done + lastHour.failed;
    const share = Math.round((100 * lastHour.failed) / attempts);
    problems.push({
      severity: share >= 20 ? 'error' : 'warning',
      what: `${lastHour.failed} of ${attempts} transfer attempts failed in the last hour (${share} %): see the failures by reason.`,
    });
  }
  const queued = backlog.requestsByState.Q ?? 0;
  if (queued > 0 && (backlog.oldestQueuedSeconds ?? 0) > BACKLOG_LIMITS.queuedTransfer) {
    problems.push({
      severity: 'warning',
      what: `${counted(queued, 'transfer')} queued, the oldest for ${duration(backlog.oldestQueuedSeconds!)}: is the transfer-submitter running, and are the destinations writable?`,
    });
  }
  if (backlog.verificationsDue > 0 && (backlog.oldestVerificationSeconds ?? 0) > BACKLOG_LIMITS.verification) {
    problems.push({
      severity: 'warning',
      what: `${counted(backlog.verificationsDue, 'replica waits', 'replicas wait')} for verification, the oldest for ${duration(backlog.oldestVerificationSeconds!)}: is the replica-registrar running, and is the storage reachable?`,
    });
  }
  if (backlog.updatedDids > 0 && (backlog.oldestUpdatedDidSeconds ?? 0) > BACKLOG_LIMITS.updatedDid) {
    problems.push({
      severity: 'warning',
      what: `${counted(backlog.updatedDids, 'changed DID waits', 'changed DIDs wait')} for the rule-evaluator, the oldest for ${duration(backlog.oldestUpdatedDidSeconds!)}: is it running?`,
    });
  }
  if (backlog.outbox && backlog.outbox.unpublished > 0 && (backlog.outbox.oldestUnpublishedSeconds ?? 0) > BACKLOG_LIMITS.unpublished) {
    problems.push({
      severity: 'error',
      what: `${counted(backlog.outbox.unpublished, 'event')} not published to Kafka, the oldest for ${duration(backlog.outbox.oldestUnpublishedSeconds!)}: is the messenger running, and Kafka reachable?`,
    });
  }
  for (const consumer of backlog.consumers) {
    if (consumer.behind > 0 && (consumer.oldestSeconds ?? 0) > BACKLOG_LIMITS.consumer) {
      problems.push({
        severity: 'warning',
        what: `${consumer.group} is ${counted(consumer.behind, 'event')} behind on ${consumer.topic}, the oldest for ${duration(consumer.oldestSeconds!)}.`,
      });
    }
  }
  return problems;
}

/** The backlog of the catalogue: with Kafka the messenger's outbox, else each consumer group's lag. */
export async function readBacklog(manager: EntityManager, kafka: boolean): Promise<Backlog> {
  const [rows, tombstonesDue, outbox, consumers] = await Promise.all([
    overviewRepository.backlog(manager),
    overviewRepository.tombstonesDue(manager),
    kafka ? overviewRepository.outboxLag(manager) : Promise.resolve(null),
    kafka ? Promise.resolve([]) : overviewRepository.consumerLag(manager),
  ]);
  return { ...rows, tombstonesDue, outbox, consumers };
}

/**
 * Aggregates over the catalogue for the web UI (GET /overview, GET /overview/rses) and for gauges: backlogs, rules by
 * state, transfers and deletions per hour, failures by reason, RSEs with usage, protocols and their last audit.
 * Counts cover the whole catalogue; failure reasons (which name files) leave out scopes the issuer may not read.
 */
@Injectable()
export class OverviewService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
    @Optional() @Inject(TARN_CONFIG) private readonly config?: TarnConfig,
  ) {}

  async overview(issuer: Issuer, now = new Date()): Promise<Overview> {
    const manager = this.dataSource.manager;
    const since = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (OVERVIEW_HOURS - 1) * HOUR_MS);
    const excludeScopes = await this.permissions.unreadableScopes(manager, issuer);
    const [backlog, rulesByState, transfers, lastHour, reasons, deletions] = await Promise.all([
      this.backlog(),
      overviewRepository.rulesByState(manager),
      overviewRepository.transfersPerHour(manager, since),
      overviewRepository.transferAttemptsSince(manager, new Date(now.getTime() - HOUR_MS)),
      overviewRepository.transferFailureReasons(manager, since, excludeScopes, MAX_REASONS),
      overviewRepository.deletionsPerHour(manager, since),
    ]);
    const overview = {
      generatedAt: now,
      backlog,
      rulesByState,
      transfers: { perHour: hourBuckets(transfers, now, OVERVIEW_HOURS, (state) => state === 'D'), lastHour, failureReasons: reasons },
      deletions: { perHour: hourBuckets(deletions, now, OVERVIEW_HOURS, (type) => type === 'deletion.done') },
    };
    return { ...overview, problems: findProblems(overview) };
  }

  /** Work waiting: changed DIDs, transfers, verifications, tombstones due, and the event bus's backlog. */
  backlog(): Promise<Backlog> {
    return readBacklog(this.dataSource.manager, this.config?.eventBus === 'kafka');
  }

  /** Live RSEs (those `expression` selects, when given) with usage, limits, protocols and their last audit. */
  async rses(expression?: string): Promise<RseOverview[]> {
    const manager = this.dataSource.manager;
    const [rses, usage, protocols, audits] = await Promise.all([
      expression === undefined ? this.expressions.all(manager) : this.expressions.resolve(manager, expression, { allowEmpty: true }),
      listRseUsage(manager, null),
      overviewRepository.protocols(manager),
      overviewRepository.lastAudits(manager),
    ]);
    return rses
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((rse) => ({
        ...rse,
        usage: usage.filter((u) => u.rseId === rse.id),
        protocols: protocols.filter((p) => p.rseId === rse.id),
        lastAudit: audits.find((a) => a.rseId === rse.id) ?? null,
      }));
  }
}
