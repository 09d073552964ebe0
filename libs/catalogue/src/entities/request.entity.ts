import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { DidType, RequestState, RequestType } from '@tarn/domain';
import { bytesColumn, timestamp } from './columns.js';

/** Columns shared by live requests and their history. */
abstract class RequestColumns {
  @Column({ type: 'enum', enum: RequestType, default: RequestType.TRANSFER })
  requestType: RequestType;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'enum', enum: DidType, default: DidType.FILE })
  didType: DidType;

  @Column({ type: 'uuid' })
  destRseId: string;

  @Column({ type: 'uuid', nullable: true })
  sourceRseId: string | null;

  @Column({ type: 'enum', enum: RequestState })
  state: RequestState;

  @Column({ type: 'varchar', length: 64, nullable: true })
  externalId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalHost: string | null;

  @Column({ type: 'int', default: 0 })
  retryCount: number;

  @Column({ type: 'varchar', length: 4000, nullable: true })
  errMsg: string | null;

  @Column({ type: 'uuid', nullable: true })
  previousAttemptId: string | null;

  @Column({ type: 'uuid', nullable: true })
  ruleId: string | null;

  @Column({ type: 'varchar', length: 50, default: 'default' })
  activity: string;

  @Column({ type: 'varchar', length: 25, nullable: true })
  account: string | null;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  adler32: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  md5: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  destUrl: string | null;

  @Column({ type: 'smallint', default: 3 })
  priority: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  transfertool: string | null;

  /** How the attempt's bytes went: third-party (the storage copied) or streamed (through the transfer worker). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  copyMethod: string | null;

  /** Why that method, through which protocols, and which protocols failed before (the transfer's record). */
  @Column({ type: 'varchar', length: 2000, nullable: true })
  copyMethodReason: string | null;

  @Column({ type: 'jsonb', nullable: true })
  attributes: Record<string, unknown> | null;

  @Column(timestamp({ nullable: true }))
  submittedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  startedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  transferredAt: Date | null;

  /** Not before: a failed request waits here for its retry (backoff). */
  @Column(timestamp({ nullable: true }))
  retryAfter: Date | null;

  @Column(timestamp({ default: () => 'now()' }))
  requestedAt: Date;
}

@Entity('requests')
@Index('requests_state_dest_idx', ['state', 'destRseId'])
/** Queued requests by destination, activity, account and claim order (an expression and DESC: written in its migration). */
@Index('requests_queued_pick_idx', { synchronize: false })
@Index('requests_rule_idx', ['ruleId'])
@Index('requests_did_dest_type_uq', ['scope', 'name', 'destRseId', 'requestType'], { unique: true })
export class Request extends RequestColumns {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Finished requests, moved here so that the live table stays small. */
@Entity('requests_history')
@Index('requests_history_did_idx', ['scope', 'name'])
@Index('requests_history_rule_idx', ['ruleId'])
@Index('requests_history_updated_at_idx', ['updatedAt'])
/** A link's recent failures (the submitter's source ranking), without reading the night's successes. */
@Index('requests_history_failures_idx', ['destRseId', 'updatedAt'], { where: `"state" = 'F'` })
export class RequestHistory extends RequestColumns {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column(timestamp())
  createdAt: Date;

  @Column(timestamp())
  updatedAt: Date;
}

/** Candidate sources of a transfer request, ranked (higher ranking first). */
@Entity('request_sources')
@Index('request_sources_rse_idx', ['rseId'])
export class RequestSource {
  @PrimaryColumn({ type: 'uuid' })
  requestId: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'uuid' })
  destRseId: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  url: string | null;

  @Column(bytesColumn({ nullable: true }))
  bytes: number | null;

  @Column({ type: 'int', default: 0 })
  ranking: number;

  @Column({ type: 'boolean', default: false })
  isUsing: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
