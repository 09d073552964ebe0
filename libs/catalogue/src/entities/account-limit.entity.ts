import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bytesColumn } from './columns.js';

/** Bytes an account may lock on one RSE. */
@Entity('account_limits')
export class AccountLimit {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column(bytesColumn())
  bytes: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Bytes an account may lock on all RSEs an expression selects, together. */
@Entity('account_expression_limits')
export class AccountExpressionLimit {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @PrimaryColumn({ type: 'varchar', length: 3000 })
  rseExpression: string;

  @Column(bytesColumn())
  bytes: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Files and bytes an account's locks hold per RSE. */
@Entity('account_usage')
export class AccountUsage {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @PrimaryColumn({ type: 'uuid' })
  rseId: string;

  @Column(bytesColumn({ default: 0 }))
  files: number;

  @Column(bytesColumn({ default: 0 }))
  bytes: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
