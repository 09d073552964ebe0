import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber, timestamp } from './columns.js';

/**
 * One audit of an RSE by the consistency checker (apps/auditor): its storage listing compared with the
 * catalogue. The latest run of an RSE says when it is due again; the counts are what the run found and did.
 */
@Entity('consistency_runs')
@Index('consistency_runs_rse_started_idx', ['rseId', 'startedAt'])
export class ConsistencyRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  rseId: string;

  /** running, done or failed. */
  @Column({ type: 'varchar', length: 16, default: 'running' })
  state: string;

  @Column(timestamp({ default: () => 'now()' }))
  startedAt: Date;

  @Column(timestamp({ nullable: true }))
  finishedAt: Date | null;

  /** Files in the storage listing. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  listed: number;

  /** Files on storage the catalogue does not know (older than the grace period). */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  dark: number;

  /** AVAILABLE replicas whose file is not on the storage (declared bad). */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  missing: number;

  /** Dark files newly quarantined by this run. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  quarantined: number;

  /** Dark files deleted from the storage (quarantined for longer than the quarantine period). */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  deleted: number;

  @Column({ type: 'varchar', length: 4000, nullable: true })
  error: string | null;
}
