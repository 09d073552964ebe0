import { DidAvailability, DidType } from '@tarn/domain';

export interface DidRef {
  scope: string;
  name: string;
}

/** A DID to register. Files carry size and checksums; datasets and containers may be registered with content. */
export interface NewDid extends DidRef {
  /** FILE, DATASET or CONTAINER (or F, D, C), any case. */
  type: string;
  /** Owner; defaults to the issuer. Only administrators may register DIDs for another account. */
  account?: string;
  bytes?: number | null;
  adler32?: string | null;
  md5?: string | null;
  xxh64?: string | null;
  guid?: string | null;
  events?: number | null;
  /** Seconds from now, or an absolute `expiresAt`; not both. */
  lifetime?: number | null;
  expiresAt?: Date | string | null;
  meta?: Record<string, unknown> | null;
  /** Rucio's statuses.monotonic. */
  monotonic?: boolean;
  /** Existing DIDs to attach to this new collection in the same call (Rucio's `dids` of add_did). */
  children?: AttachChild[];
}

export interface AddDidsOptions {
  /** An existing open collection to attach every new DID to, in the same transaction. */
  parent?: DidRef;
  /** When attaching to `parent`, skip children it already has instead of failing (Rucio's ignore_duplicate). */
  ignoreDuplicate?: boolean;
}

/** A child to attach; size and checksums, when given, must match the registered file. */
export interface AttachChild extends DidRef {
  bytes?: number | null;
  adler32?: string | null;
  md5?: string | null;
}

export interface Attachment extends DidRef {
  dids: AttachChild[];
}

export interface AttachOptions {
  /** Skip children a parent already has instead of raising DuplicateContent (Rucio's ignore_duplicate). */
  ignoreDuplicate?: boolean;
}

export interface AttachResult {
  /** Edges added (children already attached and skipped are not counted). */
  attached: number;
}

export interface DetachResult {
  detached: number;
}

/** What `get` shows of a DID (Rucio's get_did plus the columns Tarn keeps). */
export interface DidView extends DidRef {
  type: DidType;
  account: string;
  bytes: number | null;
  /** Files in a dataset (or below a container when resolved dynamically or frozen at close); 1 for a file. */
  length: number | null;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  guid: string | null;
  events: number | null;
  /** null for files. */
  open: boolean | null;
  monotonic: boolean;
  obsolete: boolean;
  hidden: boolean;
  /** Whether every file of a collection has a replica (null when unknown, and for files). */
  complete: boolean | null;
  availability: DidAvailability;
  purgeReplicas: boolean;
  expiredAt: Date | null;
  closedAt: Date | null;
  accessedAt: Date | null;
  accessCnt: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DidStatus extends DidRef {
  type: DidType;
  open: boolean | null;
  closedAt: Date | null;
}

export interface GetDidOptions {
  /** Compute a collection's bytes and length from its content now (Rucio's dynamic_depth): FILE or DATASET. */
  dynamicDepth?: string | null;
}

export interface DidSearchOptions {
  /** Rucio filters: a list of dicts (OR of ANDs), one dict, or the CLI string form. */
  filters?: import('./did-filter.js').DidFilterInput;
  /** all, collection (default), container, dataset or file. */
  type?: string;
  limit?: number | null;
  offset?: number | null;
  /** Also the matching DIDs inside the collections found, at any depth (Rucio's recursive list_dids). */
  recursive?: boolean;
  batchSize?: number;
}

export interface ListOptions {
  /** Rows fetched from the database per round trip. */
  batchSize?: number;
}
