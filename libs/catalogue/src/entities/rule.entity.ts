import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { DidType, LockState, RuleGrouping, RuleNotification, RuleState } from '@tarn/domain';
import { bigintNumber, bytesColumn, timestamp } from './columns.js';

/** The columns of a rule, shared by the rules table and its history tables. */
export abstract class RuleColumns {
  @Column({ type: 'uuid', nullable: true })
  subscriptionId: string | null;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'enum', enum: DidType })
  didType: DidType;

  @Column({ type: 'enum', enum: RuleState })
  state: RuleState;

  @Column({ type: 'varchar', length: 4000, nullable: true })
  error: string | null;

  @Column({ type: 'varchar', length: 3000 })
  rseExpression: string;

  @Column({ type: 'smallint' })
  copies: number;

  @Column(timestamp({ nullable: true }))
  expiresAt: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  weight: string | null;

  @Column({ type: 'boolean', default: false })
  locked: boolean;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  locksOkCnt: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  locksReplicatingCnt: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  locksStuckCnt: number;

  @Column({ type: 'varchar', length: 3000, nullable: true })
  sourceReplicaExpression: string | null;

  @Column({ type: 'varchar', length: 50, default: 'default' })
  activity: string;

  @Column({ type: 'enum', enum: RuleGrouping, default: RuleGrouping.DATASET })
  grouping: RuleGrouping;

  @Column({ type: 'enum', enum: RuleNotification, default: RuleNotification.NO })
  notification: RuleNotification;

  @Column(timestamp({ nullable: true }))
  stuckAt: Date | null;

  @Column({ type: 'boolean', default: false })
  purgeReplicas: boolean;

  @Column({ type: 'boolean', default: false })
  ignoreAvailability: boolean;

  @Column({ type: 'boolean', default: false })
  ignoreAccountLimit: boolean;

  @Column({ type: 'smallint', default: 3 })
  priority: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  comments: string | null;

  @Column({ type: 'uuid', nullable: true })
  childRuleId: string | null;

  @Column(timestamp({ nullable: true }))
  eolAt: Date | null;

  @Column({ type: 'boolean', default: false })
  splitContainer: boolean;

  @Column({ type: 'jsonb', nullable: true })
  meta: Record<string, unknown> | null;

  /** Repair attempts so far; the repairer backs off exponentially on it and suspends past the limit. */
  @Column({ type: 'int', default: 0 })
  repairCnt: number;
}

@Entity('rules')
@Index('rules_did_account_expression_copies_uq', ['scope', 'name', 'account', 'rseExpression', 'copies'], { unique: true })
@Index('rules_state_idx', ['state'])
@Index('rules_expires_at_idx', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
@Index('rules_account_idx', ['account'])
@Index('rules_child_rule_idx', ['childRuleId'], { where: 'child_rule_id IS NOT NULL' })
export class Rule extends RuleColumns {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('locks')
@Index('locks_rule_state_idx', ['ruleId', 'state'])
@Index('locks_rse_idx', ['rseId'])
export class Lock {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'uuid' })
  ruleId: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column(bytesColumn())
  bytes: number;

  @Column({ type: 'enum', enum: LockState, default: LockState.REPLICATING })
  state: LockState;

  @Column({ type: 'int', default: 0 })
  repairCnt: number;

  /** The last error seen for this lock, kept (also once it is retried) so that a stuck rule says why. */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  error: string | null;

  /** Why the lock is not OK now (LockReasonCode), kept up to date by the daemon that holds it; null when OK. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  reasonCode: string | null;

  /** The same in words: what it waits for, or what failed and what happens next. */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  reason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('dataset_locks')
@Index('dataset_locks_rule_idx', ['ruleId'])
@Index('dataset_locks_rse_idx', ['rseId'])
export class DatasetLock {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'uuid' })
  ruleId: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'enum', enum: LockState, default: LockState.REPLICATING })
  state: LockState;

  @Column(bytesColumn({ nullable: true }))
  length: number | null;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column(timestamp({ nullable: true }))
  accessedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
