import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { AccountStatus, AccountType } from '@tarn/domain';
import { bigintNumber, timestamp } from './columns.js';

@Entity('accounts')
export class Account {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'enum', enum: AccountType })
  accountType: AccountType;

  @Column({ type: 'enum', enum: AccountStatus, default: AccountStatus.ACTIVE })
  status: AccountStatus;

  @Column({ type: 'varchar', length: 255, nullable: true })
  email: string | null;

  @Column(timestamp({ nullable: true }))
  suspendedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  deletedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Key/value attributes of an account; `admin=true` makes an account an administrator. */
@Entity('account_attributes')
export class AccountAttribute {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  @Column({ type: 'jsonb' })
  value: string | number | boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

@Entity('identities')
export class Identity {
  @PrimaryColumn({ type: 'varchar', length: 2048 })
  identity: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  identityType: string;

  /** KDF hash in PHC-like form (`scrypt$N$r$p$salt$hash`); null for identities without a password. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  passwordHash: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  email: string | null;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Which accounts an identity may act as. */
@Entity('identity_accounts')
@Index('identity_accounts_account_idx', ['account'])
export class IdentityAccount {
  @PrimaryColumn({ type: 'varchar', length: 2048 })
  identity: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  identityType: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'boolean', default: false })
  isDefault: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

@Entity('tokens')
@Index('tokens_account_idx', ['account'])
@Index('tokens_expired_at_idx', ['expiredAt'])
export class Token {
  /** Only a hash of the token is stored, so a leaked table grants nothing. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  identity: string | null;

  @Column(timestamp())
  expiredAt: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /**
   * A web UI session opened through an identity provider: the groups its token carried (the `oidc_group` values of
   * GROUP accounts), resolved to GROUP accounts at every request as a bearer token's are. Null for userpass tokens.
   */
  @Column({ type: 'text', array: true, nullable: true })
  oidcGroups: string[] | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

@Entity('scopes')
@Index('scopes_account_idx', ['account'])
export class Scope {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 25 })
  account: string;

  @Column({ type: 'boolean', default: false })
  isDefault: boolean;

  /** Embargoed: only the owner (and accounts granted access) and admins may read. */
  @Column({ type: 'boolean', default: false })
  restricted: boolean;

  @Column({ type: 'boolean', default: false })
  closed: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** Accounts other than the owner allowed to write into (and read a restricted) scope. */
@Entity('scope_grants')
export class ScopeGrant {
  @PrimaryColumn({ type: 'varchar', length: 25 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 25 })
  account: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/**
 * Failed logins counted by account, by address and by both, shared by every API process of the catalogue: the
 * table of rate-limiter-flexible's PostgreSQL store (a key, its points, when they expire in ms since the epoch).
 */
@Entity('login_throttle')
export class LoginThrottle {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  @Column({ type: 'int', default: 0 })
  points: number;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  expire: number | null;
}
