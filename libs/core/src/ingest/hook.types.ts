import type { RuleTemplate } from '../subscriptions/rule-template.js';

/** Where a hook finds files: already on an RSE (zero-copy), or in a local drop-box directory to upload. */
export type HookSource =
  | { kind: 'rse'; rse: string; prefix: string; glob: string | null }
  | { kind: 'dropbox'; directory: string; glob: string | null };

export interface HookTarget {
  scope: string;
  /** Where files land: the source RSE (zero-copy) or the RSE a drop-box uploads to. */
  rse: string;
  /** File DID name template (default '{basename}'). */
  name: string;
  /** Dataset name template; null: files are not grouped. */
  dataset: string | null;
  /** Regex with named groups over the path (relative to the source), for metadata and templates. */
  pattern: string | null;
  /** Extra metadata: key -> template. */
  meta: Record<string, string>;
}

export type ChecksumPolicy = 'registrar' | 'compute' | 'storage';
export const CHECKSUM_POLICIES: readonly ChecksumPolicy[] = ['registrar', 'compute', 'storage'];

export interface HookAfter {
  /** Drop-box: remove the local file once its replica is AVAILABLE (verified). */
  removeSource: boolean;
}

/** A hook as given to create or update (API JSON). */
export interface HookInput {
  name?: string;
  account?: string;
  schedule?: string;
  timezone?: string | null;
  enabled?: boolean;
  /** {rse, prefix?, glob?} or {dropbox: directory, glob?}. */
  source?: Record<string, unknown>;
  /** {scope, rse?, name?, dataset?, pattern?, meta?}. */
  target?: Record<string, unknown>;
  checksum?: string;
  rules?: unknown[];
  after?: { removeSource?: boolean; remove_source?: boolean };
  comment?: string | null;
}

export interface HookSpec {
  name: string;
  account: string;
  schedule: string;
  timezone: string | null;
  enabled: boolean;
  source: HookSource;
  target: HookTarget;
  checksum: ChecksumPolicy;
  rules: RuleTemplate[];
  after: HookAfter;
  comment: string | null;
}

export interface HookView extends HookSpec {
  id: string;
  nextRunAt: Date | null;
  runRequestedAt: Date | null;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type HookRunTrigger = 'SCHEDULED' | 'CATCHUP' | 'MANUAL';
export type HookRunState = 'RUNNING' | 'DONE' | 'FAILED' | 'ABANDONED';

export interface HookRunError {
  path?: string;
  did?: string;
  error: string;
}

export interface HookRunCounts {
  filesListed: number;
  filesRegistered: number;
  filesSkipped: number;
  filesFailed: number;
  bytesRegistered: number;
  datasetsCreated: number;
  rulesCreated: number;
  sourcesRemoved: number;
}

export interface HookRunView extends HookRunCounts {
  id: string;
  hook: string;
  trigger: HookRunTrigger;
  state: HookRunState;
  instance: string;
  startedAt: Date;
  finishedAt: Date | null;
  errors: HookRunError[];
}
