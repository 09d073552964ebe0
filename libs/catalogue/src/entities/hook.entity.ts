import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { bigintNumber, bytesColumn, timestamp } from './columns.js';

/**
 * An ingestion hook: on a cron schedule, files found at a source (an RSE path prefix, or a local drop-box) are
 * registered (zero-copy) or uploaded into a scope, grouped into datasets, with metadata and rules.
 */
@Entity('hooks')
@Index('hooks_name_uq', ['name'], { unique: true })
@Index('hooks_next_run_idx', ['nextRunAt'])
export class Hook {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** The account the hook registers as (its scopes, quotas and rules). */
  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Cron expression (node-cron: 5 or 6 fields). */
  @Column({ type: 'varchar', length: 255 })
  schedule: string;

  /** IANA time zone of the schedule; null is UTC. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone: string | null;

  @Column({ type: 'jsonb' })
  source: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  target: Record<string, unknown>;

  /** registrar (checksums computed from storage when verified), compute (by the ingester) or storage (as the storage reports). */
  @Column({ type: 'varchar', length: 16, default: 'registrar' })
  checksum: string;

  /** Rule templates applied to each dataset the hook creates. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  rules: Record<string, unknown>[];

  @Column({ type: 'jsonb', default: () => `'{}'` })
  after: Record<string, unknown>;

  @Column({ type: 'varchar', length: 255, nullable: true })
  comment: string | null;

  /** The next cron tick to run at; a tick missed while no ingester ran is caught up at once. */
  @Column(timestamp({ nullable: true }))
  nextRunAt: Date | null;

  /** Set by "run now"; the next ingester pass runs the hook and clears it. */
  @Column(timestamp({ nullable: true }))
  runRequestedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  lastRunAt: Date | null;

  @Column(timestamp({ nullable: true }))
  lastSuccessAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** One run of a hook, with what it did. */
@Entity('hook_runs')
@Index('hook_runs_hook_started_idx', ['hookId', 'startedAt'])
export class HookRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  hookId: string;

  /** SCHEDULED, CATCHUP or MANUAL. */
  @Column({ type: 'varchar', length: 16 })
  trigger: string;

  /** RUNNING, DONE (possibly with file errors), FAILED (the run itself failed), ABANDONED (its ingester died). */
  @Column({ type: 'varchar', length: 16 })
  state: string;

  /** host:pid of the ingester. */
  @Column({ type: 'varchar', length: 255 })
  instance: string;

  @Column(timestamp())
  startedAt: Date;

  @Column(timestamp({ nullable: true }))
  finishedAt: Date | null;

  @Column({ type: 'int', default: 0 })
  filesListed: number;

  @Column({ type: 'int', default: 0 })
  filesRegistered: number;

  /** Listed files registered by an earlier run. */
  @Column({ type: 'int', default: 0 })
  filesSkipped: number;

  @Column({ type: 'int', default: 0 })
  filesFailed: number;

  @Column(bytesColumn({ default: 0 }))
  bytesRegistered: number;

  @Column({ type: 'int', default: 0 })
  datasetsCreated: number;

  @Column({ type: 'int', default: 0 })
  rulesCreated: number;

  /** Drop-box files removed once their replica was verified. */
  @Column({ type: 'int', default: 0 })
  sourcesRemoved: number;

  /** The first errors: {path?, did?, error}. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  errors: Record<string, unknown>[];
}

/**
 * A file a hook took in, keyed by (hook, path, size, mtime): registered once whatever the crashes and instances.
 * state P: claimed, registration in progress (a restart checks the catalogue); R: registered; D: done (drop-box
 * source removed after its replica was verified).
 */
@Entity('ingested_files')
@Index('ingested_files_open_idx', ['hookId', 'state'], { where: `state <> 'D'` })
export class IngestedFile {
  @PrimaryColumn({ type: 'uuid' })
  hookId: string;

  /** Relative to the source (RSE protocol prefix or drop-box directory). */
  @PrimaryColumn({ type: 'varchar', length: 1024 })
  path: string;

  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  size: number;

  /** Milliseconds since the epoch. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  mtimeMs: number;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'varchar', length: 250, nullable: true })
  dataset: string | null;

  @Column({ type: 'varchar', length: 1 })
  state: string;

  @Column({ type: 'uuid', nullable: true })
  runId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** A dataset a hook fills. state N: the hook creates it (rules pending); R: rules applied; E: it existed before. */
@Entity('hook_datasets')
export class HookDataset {
  @PrimaryColumn({ type: 'uuid' })
  hookId: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'varchar', length: 1 })
  state: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
