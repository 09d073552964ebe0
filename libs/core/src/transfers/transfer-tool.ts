import type { EntityManager } from 'typeorm';

/** A transfer handed to a tool: the request, the file and the chosen source. */
export interface TransferToSubmit {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
  sourceRseId: string;
}

export type TransferToolState = 'SUBMITTED' | 'DONE' | 'FAILED' | 'UNKNOWN';

export interface TransferToolStatus {
  id: string;
  state: TransferToolState;
  error: string | null;
}

/** A transfer that is no longer wanted, and where its destination file would be. */
export interface TransferToCancel {
  id: string;
  scope: string;
  name: string;
  destRseId: string;
}

/**
 * What moves bytes for the transfer engine. The submitter hands SUBMITTED requests to one with `submit` (inside
 * its transaction: the tool records its job ids there); the finisher reads outcomes DONE/FAILED from the
 * requests table, where `poll` of a tool with external jobs (FTS3, later) writes them; `cancel` stops transfers
 * nobody needs any more and removes what they wrote. The built-in tool (transfer-worker) is the only one now.
 */
export interface TransferTool {
  /** requests.transfertool of the requests it handles. */
  readonly name: string;
  submit(manager: EntityManager, transfers: readonly TransferToSubmit[]): Promise<void>;
  poll(manager: EntityManager, ids: readonly string[]): Promise<TransferToolStatus[]>;
  cancel(transfers: readonly TransferToCancel[]): Promise<void>;
}

/** Injection token of the transfer tool the submitter submits to. */
export const TRANSFER_TOOL = Symbol('TRANSFER_TOOL');

/** requests.transfertool of the built-in tool. */
export const BUILTIN_TRANSFER_TOOL = 'tarn';
