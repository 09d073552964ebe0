import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { SubscriptionState } from '@tarn/domain';
import { timestamp } from './columns.js';

/** A metadata filter plus rule templates: every new DID that matches gets those rules. */
@Entity('subscriptions')
@Index('subscriptions_name_account_uq', ['name', 'account'], { unique: true })
@Index('subscriptions_state_idx', ['state'])
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'enum', enum: SubscriptionState, default: SubscriptionState.ACTIVE })
  state: SubscriptionState;

  @Column({ type: 'jsonb' })
  filter: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  replicationRules: Record<string, unknown>[];

  @Column({ type: 'boolean', default: false })
  retroactive: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  comments: string | null;

  /** Priority of the rules the subscription creates (Rucio's policyid), 1 (lowest) to 5; default 3. */
  @Column({ type: 'smallint', default: 3 })
  priority: number;

  @Column(timestamp({ nullable: true }))
  lastProcessed: Date | null;

  @Column(timestamp({ nullable: true }))
  expiredAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
