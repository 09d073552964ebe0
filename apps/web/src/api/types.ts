/** What the pages read from Tarn's API (the fields they use). */
import type { RseDescriptor } from '@tarn/domain/rse-descriptor.js';

export interface Heartbeat {
  executable: string;
  hostname: string;
  pid: number;
  thread_name: string;
  alive: boolean;
  state: 'alive' | 'dead';
  age_seconds: number;
  updated_at: string;
  dead_after_seconds: number;
  started_at: string | null;
  passes: number | null;
  failures: number | null;
  last_error: string | null;
  ready: boolean | null;
  [key: string]: unknown;
}

export interface HourBucket {
  hour: string;
  done: number;
  failed: number;
  bytes: number;
}

export interface Overview {
  generatedAt: string;
  backlog: {
    updatedDids: number;
    oldestUpdatedDidSeconds: number | null;
    requestsByState: Record<string, number>;
    oldestQueuedSeconds: number | null;
    verifications: number;
    verificationsDue: number;
    oldestVerificationSeconds: number | null;
    tombstonesDue: { rse: string; due: number; bytes: number }[];
    outbox: { unpublished: number; oldestUnpublishedSeconds: number | null } | null;
    consumers: { group: string; topic: string; behind: number; oldestSeconds: number | null }[];
  };
  rulesByState: Record<string, number>;
  transfers: { perHour: HourBucket[]; lastHour: { done: number; failed: number }; failureReasons: { reason: string; count: number; example: string; last: string }[] };
  deletions: { perHour: HourBucket[] };
  problems: { severity: 'warning' | 'error'; what: string }[];
}

/** An RSE as GET /overview/rses answers it: what expressions select it by, and its space, protocols and last audit. */
export interface RseOverview extends RseDescriptor {
  limits: Record<string, number>;
  usedBytes: number;
  freeBytes: number | null;
  usage: { source: string; used: number; free: number | null; files: number; updatedAt: string }[];
  protocols: { scheme: string; hostname: string; port: number; prefix: string }[];
  lastAudit: { state: string; startedAt: string; finishedAt: string | null; dark: number; missing: number; error: string | null } | null;
}

export interface Rule {
  id: string;
  account: string;
  scope: string;
  name: string;
  did_type: string;
  state: string;
  error: string | null;
  rse_expression: string;
  copies: number;
  expires_at: string | null;
  locked: boolean;
  locks_ok_cnt: number;
  locks_replicating_cnt: number;
  locks_stuck_cnt: number;
  grouping: string;
  activity: string;
  comments: string | null;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface Lock {
  scope: string;
  name: string;
  rse: string;
  state: string;
  bytes: number | null;
  error: string | null;
  reason_code?: string | null;
  reason?: string | null;
  updated_at: string;
  [key: string]: unknown;
}

export interface DidSummary {
  scope: string;
  name: string;
  did_type: string;
  bytes: number | null;
  length: number | null;
}

export interface Replica {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  rses: Record<string, string[]>;
  states: Record<string, string>;
  [key: string]: unknown;
}

export interface Hook {
  id: string;
  name: string;
  account: string;
  schedule: string;
  enabled: boolean;
  source: { kind: string; rse?: string; directory?: string; prefix?: string };
  target: { scope: string; rse: string };
  nextRunAt: string | null;
  runRequestedAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
}

export interface HookRun {
  id: string;
  trigger: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  filesListed: number;
  filesRegistered: number;
  filesFailed: number;
  errors: { path?: string; did?: string; error: string }[];
}

export interface Subscription {
  id: string;
  name: string;
  account: string;
  filter: string;
  replication_rules: string;
  state: string;
  last_processed: string | null;
  comments: string | null;
}
