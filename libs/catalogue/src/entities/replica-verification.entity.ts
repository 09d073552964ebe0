import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestamp } from './columns.js';

/**
 * Replicas announced by an upload or a registration, waiting for the replica-registrar to check their size
 * and checksum on the storage. The replica stays COPYING while its row is here; the registrar then makes it
 * AVAILABLE or BAD and deletes the row. A storage that cannot be reached postpones the check (not_before).
 * An upload that announced a replica and never wrote it is checked once its timeout has passed (`written` false).
 */
@Entity('replica_verifications')
@Index('replica_verifications_due_idx', ['notBefore'])
export class ReplicaVerification {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  /** Who announced the replica (recorded on a bad_replicas row when the check fails). */
  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column(timestamp({ default: () => 'now()' }))
  notBefore: Date;

  /**
   * Whether the replica is said to be complete on storage (a state change to AVAILABLE, a registration). An upload's
   * announcement (state COPYING) is not: its check is due only once the upload timeout has passed, and finds whether
   * the file was ever written.
   */
  @Column({ type: 'boolean', default: true })
  written: boolean;

  /** Why the last attempt could not decide (storage unreachable...). */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
