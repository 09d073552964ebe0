import { AccountStatus, AccountType } from '@tarn/domain';
import type { Issuer } from '../auth/issuer.js';

export interface AccountView {
  account: string;
  type: AccountType;
  status: AccountStatus;
  email: string | null;
  suspendedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAccount {
  account: string;
  /** USER, GROUP or SERVICE (any case). */
  type: string;
  email?: string | null;
}

export interface AccountChanges {
  /** ACTIVE, SUSPENDED or DELETED (any case). */
  status?: string;
  email?: string | null;
}

export interface AccountAttribute {
  key: string;
  value: string | number | boolean;
}

export interface IdentityView {
  identity: string;
  type: string;
  email: string | null;
  isDefault: boolean;
}

export interface NewAccountIdentity {
  account: string;
  identity: string;
  /** USERPASS, X509, GSS, SSH or OIDC (any case). */
  type: string;
  /** Required for (and only for) a new USERPASS identity. */
  password?: string;
  email?: string | null;
  isDefault?: boolean;
}

export interface UserpassIdentityInput {
  account: string;
  username: string;
  password: string;
  email?: string | null;
}

export interface LoginOptions {
  /** Seconds the token is valid; default 3600 (Rucio's), at most 30 days. */
  lifetimeSeconds?: number;
  /** Client address, kept with the token. */
  ip?: string | null;
}

/** What a presented token stands for (GET /auth/validate). */
export interface TokenDescription {
  issuer: Issuer;
  expiresAt: Date;
  /** A token Tarn issued (userpass login), or an access token of an identity provider. */
  kind: 'tarn' | 'oidc';
  /** OIDC: `SUB=<sub>, ISS=<iss>`, of an identity provider's token or of a web UI session opened through the provider. */
  identity?: string;
  /** OIDC: the groups the token carries (whether or not a Tarn group maps them). */
  tokenGroups?: string[];
}

export interface AuthToken {
  account: string;
  token: string;
  expiresAt: Date;
}

export interface RootBootstrap {
  created: boolean;
  /** Present when the root account was created with a generated password: print it once. */
  generatedPassword?: string;
}
