import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A DID a subscription has handled (its rules created, or found already there): each DID gets them once. */
@Entity('subscription_dids')
export class SubscriptionDid {
  @PrimaryColumn({ type: 'uuid' })
  subscriptionId: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'int', default: 0 })
  rulesCreated: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
