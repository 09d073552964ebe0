import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { BadReplicaState, ReplicaState } from '@tarn/domain';
import { bigintNumber, bytesColumn, timestamp } from './columns.js';

@Entity('replicas')
@Index('replicas_rse_tombstone_idx', ['rseId', 'tombstone'])
@Index('replicas_state_idx', ['state'])
// One replica per file on storage: a path is held by at most one replica of an RSE.
@Index('replicas_rse_path_uq', ['rseId', 'path'], { unique: true, where: 'path IS NOT NULL' })
export class Replica {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column(bytesColumn())
  bytes: number;

  @Column({ type: 'varchar', length: 8, nullable: true })
  adler32: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  md5: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  xxh64: string | null;

  /** Storage path, for non-deterministic RSEs; deterministic RSEs compute it from the DID. */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  path: string | null;

  @Column({ type: 'enum', enum: ReplicaState, default: ReplicaState.UNAVAILABLE })
  state: ReplicaState;

  @Column({ type: 'int', default: 0 })
  lockCnt: number;

  /** When the replica may be deleted: null while locked, epoch for "as soon as possible". */
  @Column(timestamp({ nullable: true }))
  tombstone: Date | null;

  @Column(timestamp({ nullable: true }))
  accessedAt: Date | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  accessCnt: number;

  @Column({ type: 'varchar', length: 4000, nullable: true })
  error: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('bad_replicas')
@Index('bad_replicas_state_idx', ['state', 'rseId'])
export class BadReplica {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'enum', enum: BadReplicaState })
  state: BadReplicaState;

  @PrimaryColumn({ type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column(timestamp({ nullable: true }))
  expiresAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Dark data: files found on storage that the catalogue does not know; deleted after a grace period. */
@Entity('quarantined_replicas')
export class QuarantinedReplica {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 1024 })
  path: string;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column({ type: 'varchar', length: 25, nullable: true })
  scope: string | null;

  @Column({ type: 'varchar', length: 250, nullable: true })
  name: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
