import type { ReplicaState } from '@tarn/domain';

/** One file replica to register on an RSE. */
export interface ReplicaFileInput {
  scope: string;
  name: string;
  bytes: number;
  adler32?: string | null;
  md5?: string | null;
  xxh64?: string | null;
  /** Full URL on a non-deterministic RSE; its path is what follows one of the RSE's protocol prefixes. */
  pfn?: string | null;
  /** Path on a non-deterministic RSE (relative to the protocol prefix). Deterministic RSEs compute it. */
  path?: string | null;
  /** AVAILABLE (default: verified on the storage first), UNAVAILABLE, COPYING or TEMPORARY_UNAVAILABLE (or A, U, C, T). */
  state?: ReplicaState | string | null;
  /** The file's GUID (32 hex digits or a dashed UUID; the stock upload sends it as meta.guid). */
  guid?: string | null;
  /** Metadata merged into the file DID's (as Rucio's add_replicas sets it on the files it creates). */
  meta?: Record<string, unknown> | null;
}

export interface AddReplicasOptions {
  /** Register the file DIDs that do not exist yet (owned by the issuer), as upload and register paths do. */
  createMissingFiles?: boolean;
  /** Tombstone of new replicas (unlocked replicas with a tombstone may be reaped); default none. */
  tombstone?: Date | null;
}

export interface AddReplicasResult {
  /** Replicas written (new or an existing COPYING/UNAVAILABLE/... one updated). */
  registered: number;
  /** New replica rows among them. */
  inserted: number;
  /** File DIDs created (createMissingFiles). */
  filesCreated: number;
  /** Replicas announced AVAILABLE, now waiting for the replica-registrar's check on the storage. */
  announced: number;
}

/** A replica named by its RSE. */
export interface ReplicaRef {
  scope: string;
  name: string;
  rse: string;
}

export interface ReplicaStateChange extends ReplicaRef {
  state: ReplicaState | string;
}

export interface TouchedReplica extends ReplicaRef {
  /** Default: now. */
  accessedAt?: Date;
}

export interface ListReplicasOptions {
  /** Protocol schemes to give PFNs for (e.g. ['root', 'davs']); default all. */
  schemes?: string[];
  /** Every replica state, not only AVAILABLE (Rucio's all_states). */
  allStates?: boolean;
  /** Only replicas on RSEs this expression selects. */
  rseExpression?: string;
  /** 'wan' (default) or 'lan': which read priorities rank the protocols. */
  domain?: 'wan' | 'lan';
  /** Give each file its ancestors (Rucio's resolve_parents; the stock download matches files to datasets by them). */
  resolveParents?: boolean;
}

export interface ReplicaPfn {
  pfn: string;
  scheme: string;
  /** 1 is the most preferred. */
  priority: number;
  domain: 'wan' | 'lan';
}

export interface FileReplicaLocation {
  rse: string;
  rseId: string;
  state: ReplicaState;
  /** Path relative to the protocol prefix (computed on deterministic RSEs). */
  path: string | null;
  pfns: ReplicaPfn[];
  lockCnt: number;
  tombstone: Date | null;
  accessedAt: Date | null;
}

/** A file with its replicas: what the REST layer turns into Rucio's replica list or Metalink. */
export interface FileReplicas {
  scope: string;
  name: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  replicas: FileReplicaLocation[];
  /** Every ancestor as 'scope:name' (with resolveParents). */
  parents?: string[];
}

export interface MarkAvailableResult {
  /** Replicas found (and now AVAILABLE). */
  available: number;
  locksSatisfied: number;
  transfersFinished: number;
}

/** How much of a collection an RSE holds (Rucio's dataset replica). */
export type { DatasetReplicaRow as DatasetReplicaView } from '@tarn/catalogue/repositories/dataset-replica.repository.js';

/** A declaration of a bad, suspicious or lost replica, with its RSE's name. */
export type { BadReplicaDeclaration } from '@tarn/catalogue/repositories/bad-replica.repository.js';
