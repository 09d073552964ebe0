import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { DidAvailability, DidType } from '@tarn/domain';
import { bigintNumber, bytesColumn, timestamp } from './columns.js';

@Entity('dids')
@Index('dids_expired_at_idx', ['expiredAt'], { where: 'expired_at IS NOT NULL' })
@Index('dids_account_idx', ['account'])
@Index('dids_guid_idx', ['guid'], { where: 'guid IS NOT NULL' })
export class Did {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'enum', enum: DidType })
  didType: DidType;

  @Column({ type: 'boolean', nullable: true })
  isOpen: boolean | null;

  @Column({ type: 'boolean', default: false })
  monotonic: boolean;

  @Column({ type: 'boolean', default: false })
  hidden: boolean;

  @Column({ type: 'boolean', default: false })
  obsolete: boolean;

  @Column({ type: 'boolean', nullable: true })
  complete: boolean | null;

  @Column({ type: 'enum', enum: DidAvailability, default: DidAvailability.AVAILABLE })
  availability: DidAvailability;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  /** Number of files below a collection; null for files. */
  @Column(bytesColumn({ nullable: true }))
  length: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  adler32: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  md5: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  xxh64: string | null;

  @Column({ type: 'uuid', nullable: true })
  guid: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  events: number | null;

  @Column(timestamp({ nullable: true }))
  expiredAt: Date | null;

  @Column({ type: 'boolean', default: true })
  purgeReplicas: boolean;

  @Column(timestamp({ nullable: true }))
  closedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  accessedAt: Date | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  accessCnt: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Names of deleted DIDs: they stay reserved, a new DID may never take them. */
@Entity('deleted_dids')
export class DeletedDid {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'enum', enum: DidType })
  didType: DidType;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  adler32: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  md5: string | null;

  @Column(timestamp({ default: () => 'now()' }))
  deletedAt: Date;
}

/** What an edge of the namespace says about its ends, shared by contents and contents_history. */
export abstract class ContentFacts {
  @Column({ type: 'enum', enum: DidType })
  didType: DidType;

  @Column({ type: 'enum', enum: DidType })
  childType: DidType;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  adler32: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  md5: string | null;
}

/** Parent/child edges of the namespace: dataset -> file, container -> dataset or container. */
@Entity('contents')
@Index('contents_child_idx', ['childScope', 'childName'])
export class Content extends ContentFacts {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  childScope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  childName: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

@Entity('did_meta')
@Index('did_meta_meta_gin_idx', { synchronize: false })
export class DidMeta {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'jsonb', default: {} })
  meta: Record<string, unknown>;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

export enum UpdatedDidAction {
  ATTACH = 'A',
  DETACH = 'D',
}

/** Work queue for the rule evaluator: DIDs whose content changed under existing rules. */
@Entity('updated_dids')
@Index('updated_dids_did_idx', ['scope', 'name'])
export class UpdatedDid {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id: number;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'enum', enum: UpdatedDidAction })
  ruleEvaluationAction: UpdatedDidAction;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
