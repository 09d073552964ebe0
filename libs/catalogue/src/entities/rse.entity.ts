import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { RseType } from '@tarn/domain';
import { bytesColumn, timestamp } from './columns.js';

@Entity('rses')
@Index('rses_name_live_uq', ['rse'], { unique: true, where: 'deleted = false' })
export class Rse {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  rse: string;

  @Column({ type: 'enum', enum: RseType, default: RseType.DISK })
  rseType: RseType;

  @Column({ type: 'boolean', default: true })
  deterministic: boolean;

  @Column({ type: 'boolean', default: false })
  volatile: boolean;

  @Column({ type: 'boolean', default: false })
  staging: boolean;

  @Column({ type: 'varchar', length: 64, nullable: true })
  qosClass: string | null;

  @Column({ type: 'boolean', default: true })
  availabilityRead: boolean;

  @Column({ type: 'boolean', default: true })
  availabilityWrite: boolean;

  @Column({ type: 'boolean', default: true })
  availabilityDelete: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  city: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  regionCode: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  countryName: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  continent: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  timeZone: string | null;

  @Column({ type: 'double precision', nullable: true })
  longitude: number | null;

  @Column({ type: 'double precision', nullable: true })
  latitude: number | null;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @Column(timestamp({ nullable: true }))
  deletedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Free-form attributes used by RSE expressions (`tier=1`, `QOS=SAFE`, `greedyDeletion=true`, ...). */
@Entity('rse_attributes')
@Index('rse_attributes_key_idx', ['key'])
export class RseAttribute {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  @Column({ type: 'jsonb' })
  value: string | number | boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Priority columns: 0 means the operation is not offered by this protocol, 1 is the most preferred. */
@Entity('rse_protocols')
export class RseProtocol {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  scheme: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  hostname: string;

  @PrimaryColumn({ type: 'int' })
  port: number;

  @Column({ type: 'varchar', length: 1024, default: '' })
  prefix: string;

  @Column({ type: 'varchar', length: 255 })
  impl: string;

  @Column({ type: 'int', default: 0 })
  readLan: number;

  @Column({ type: 'int', default: 0 })
  writeLan: number;

  @Column({ type: 'int', default: 0 })
  deleteLan: number;

  @Column({ type: 'int', default: 0 })
  readWan: number;

  @Column({ type: 'int', default: 0 })
  writeWan: number;

  @Column({ type: 'int', default: 0 })
  deleteWan: number;

  @Column({ type: 'int', default: 0 })
  thirdPartyCopyRead: number;

  @Column({ type: 'int', default: 0 })
  thirdPartyCopyWrite: number;

  @Column({ type: 'jsonb', nullable: true })
  extendedAttributes: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Named limits of an RSE, in bytes: MinFreeSpace, MaxBytes. */
@Entity('rse_limits')
export class RseLimit {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;

  @Column(bytesColumn())
  value: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Space usage of an RSE by source: `rucio` (catalogue), `storage` (what the storage reports), others. */
@Entity('rse_usage')
export class RseUsage {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  source: string;

  @Column(bytesColumn({ default: 0 }))
  used: number;

  @Column(bytesColumn({ nullable: true }))
  free: number | null;

  @Column(bytesColumn({ default: 0 }))
  files: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Lower is better when ranking transfer sources. */
@Entity('distances')
@Index('distances_dest_idx', ['destRseId'])
export class Distance {
  @PrimaryColumn({ type: 'uuid' })
  srcRseId: string;

  @PrimaryColumn({ type: 'uuid' })
  destRseId: string;

  @Column({ type: 'int' })
  distance: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** The QoS policies an RSE offers (Rucio's rse_qos_map), e.g. SAFE, FAST; `qos_policy=SAFE` in RSE expressions. */
@Entity('rse_qos_policies')
export class RseQosPolicy {
  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  qosPolicy: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
