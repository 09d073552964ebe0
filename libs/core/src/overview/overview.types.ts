import type {
  BacklogRow,
  ConsumerLagRow,
  OutboxLagRow,
  ReasonRow,
  RseAuditRow,
  RseProtocolSummaryRow,
  TombstonesDueRow,
} from '@tarn/catalogue/repositories/overview.repository.js';
import type { RseUsageRecord } from '@tarn/catalogue/repositories/rse-usage.repository.js';
import type { ResolvedRse } from '../rses/rse-expression.service.js';

/** One hour of finished work: attempts that succeeded and failed, and the bytes of those that succeeded. */
export interface HourBucket {
  /** Start of the hour. */
  hour: Date;
  done: number;
  failed: number;
  bytes: number;
}

export type Backlog = BacklogRow & {
  tombstonesDue: TombstonesDueRow[];
  /** Kafka event bus: the messenger's backlog; null with the PostgreSQL event bus. */
  outbox: OutboxLagRow | null;
  /** PostgreSQL event bus: how far each consumer group is behind. */
  consumers: ConsumerLagRow[];
};

/** Something an operator should look at: what, and why it matters. */
export interface Problem {
  severity: 'warning' | 'error';
  what: string;
}

export interface Overview {
  generatedAt: Date;
  backlog: Backlog;
  /** Rules by state letter (O, R, S, U, W, I). */
  rulesByState: Record<string, number>;
  /** `lastHour`: attempts over the 60 minutes before `generatedAt` (the charts' current hour may have just begun). */
  transfers: { perHour: HourBucket[]; lastHour: { done: number; failed: number }; failureReasons: ReasonRow[] };
  deletions: { perHour: HourBucket[] };
  problems: Problem[];
}

/** An RSE with what the RSEs page shows: usage against limits, protocols and its last audit. */
export interface RseOverview extends ResolvedRse {
  usage: RseUsageRecord[];
  protocols: RseProtocolSummaryRow[];
  lastAudit: RseAuditRow | null;
}
