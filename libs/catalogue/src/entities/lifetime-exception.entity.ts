import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { DidType, LifetimeExceptionState } from '@tarn/domain';
import { timestamp } from './columns.js';

/**
 * A request to keep DIDs past their lifetime (Rucio's lifetime_except): one id per request, one row per DID. Once
 * an administrator approves it, the undertaker keeps the DIDs and the rule-cleaner their rules until `expires_at`.
 */
@Entity('lifetime_exceptions')
@Index('lifetime_exceptions_did_idx', ['scope', 'name'])
export class LifetimeException {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'enum', enum: DidType })
  didType: DidType;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  pattern: string | null;

  @Column({ type: 'varchar', length: 4000, nullable: true })
  comments: string | null;

  @Column({ type: 'enum', enum: LifetimeExceptionState, default: LifetimeExceptionState.WAITING })
  state: LifetimeExceptionState;

  @Column(timestamp())
  expiresAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
