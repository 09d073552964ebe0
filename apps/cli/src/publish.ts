import { didPath } from './api-client.js';
import { type Expiry, expiryBody } from './arguments.js';
import type { CommandContext } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { sleep } from './transfer-utils.js';

export interface FileDid {
  scope: string;
  name: string;
}

/** Per file: whether it exists (with its size and checksums) and its replica on the RSE: state and PFNs. */
export type ReplicaStates = Map<string, { state: string | null; bytes: number | null; adler32: string | null; md5: string | null; exists: boolean; pfns: string[] }>;

const key = (d: FileDid) => `${d.scope}:${d.name}`;

/**
 * What the catalogue knows of these files on one RSE: whether each file exists (with its size and checksums)
 * and its replica's state there. One POST /replicas/list for the batch; unknown files are probed one by one only
 * when the batch is refused because one of them does not exist.
 */
export async function replicaStates(ctx: CommandContext, rse: string, files: readonly FileDid[]): Promise<ReplicaStates> {
  const states: ReplicaStates = new Map();
  for (const f of files) states.set(key(f), { state: null, bytes: null, adler32: null, md5: null, exists: false, pfns: [] });
  const chunk = 500;
  for (let i = 0; i < files.length; i += chunk) {
    const batch = files.slice(i, i + chunk);
    let rows: Array<Record<string, any>>;
    try {
      rows = await ctx.client.list('POST', '/replicas/list', {
        what: `Reading the replicas of ${batch.length} file(s) on RSE '${rse}'`,
        body: { dids: batch.map((f) => ({ scope: f.scope, name: f.name })), all_states: true, ignore_availability: true },
      });
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.NOT_FOUND || batch.length === 1) {
        if (error instanceof CliError && error.exitCode === ExitCode.NOT_FOUND && error.exceptionClass === 'DataIdentifierNotFound') continue;
        throw error;
      }
      rows = [];
      for (const f of batch) {
        try {
          rows.push(
            ...(await ctx.client.list<Record<string, any>>('POST', '/replicas/list', {
              what: `Reading the replicas of ${key(f)} on RSE '${rse}'`,
              body: { dids: [f], all_states: true, ignore_availability: true },
            })),
          );
        } catch (inner) {
          if (!(inner instanceof CliError) || inner.exceptionClass !== 'DataIdentifierNotFound') throw inner;
        }
      }
    }
    for (const row of rows) {
      const entry = states.get(key(row as FileDid));
      if (!entry) continue;
      entry.exists = true;
      entry.bytes = row.bytes ?? null;
      entry.adler32 = row.adler32 ?? null;
      entry.md5 = row.md5 ?? null;
      entry.state = row.states?.[rse] ?? null;
      entry.pfns = row.rses?.[rse] ?? [];
    }
  }
  return states;
}

/** Polls until every replica on the RSE is AVAILABLE or BAD, or the timeout passes; answers the final states. */
export async function waitForReplicas(ctx: CommandContext, rse: string, files: readonly FileDid[], timeoutSeconds: number): Promise<Map<string, string | null>> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let pending = [...files];
  const final = new Map<string, string | null>();
  let delay = 200;
  while (pending.length > 0) {
    const states = await replicaStates(ctx, rse, pending);
    pending = pending.filter((f) => {
      const state = states.get(key(f))?.state ?? null;
      final.set(key(f), state);
      return state !== 'AVAILABLE' && state !== 'BAD';
    });
    if (pending.length === 0 || Date.now() >= deadline) break;
    ctx.checkAborted(`waiting for the verification of ${pending.length} replica(s) on RSE '${rse}'`);
    await sleep(delay);
    delay = Math.min(2000, delay * 2);
  }
  return final;
}

export interface DatasetOptions {
  lifetime?: Expiry;
  meta?: Record<string, unknown>;
}

/** Creates the dataset if it does not exist (with lifetime and metadata); answers whether it was created. */
export async function ensureDataset(ctx: CommandContext, dataset: FileDid, options: DatasetOptions): Promise<boolean> {
  try {
    await ctx.client.json('GET', `/dids/${didPath(dataset.scope, dataset.name)}`, { what: `Reading dataset ${key(dataset)}` });
    return false;
  } catch (error) {
    if (!(error instanceof CliError) || error.exceptionClass !== 'DataIdentifierNotFound') throw error;
  }
  await ctx.client.request('POST', `/dids/${didPath(dataset.scope, dataset.name)}`, {
    what: `Adding dataset ${key(dataset)}`,
    body: { type: 'DATASET', ...expiryBody(options.lifetime, 'expired_at'), ...(options.meta && Object.keys(options.meta).length > 0 ? { meta: options.meta } : {}) },
  });
  return true;
}

/** Attaches the files not attached yet (a re-run attaches only what is missing). */
export async function attachMissing(ctx: CommandContext, dataset: FileDid, files: readonly FileDid[]): Promise<number> {
  const content = await ctx.client.list<FileDid>('GET', `/dids/${didPath(dataset.scope, dataset.name)}/dids`, { what: `Listing the content of ${key(dataset)}` });
  const present = new Set(content.map(key));
  const missing = files.filter((f) => !present.has(key(f))).map((f) => ({ scope: f.scope, name: f.name }));
  if (missing.length === 0) return 0;
  await ctx.client.request('POST', `/dids/${didPath(dataset.scope, dataset.name)}/dids`, { what: `Attaching ${missing.length} file(s) to ${key(dataset)}`, body: { dids: missing } });
  return missing.length;
}

/** The rule that keeps uploaded data on its RSE (as `rucio upload` adds one); an identical rule already there is fine. */
export async function protectOnRse(ctx: CommandContext, dids: readonly FileDid[], rse: string, lifetime: Expiry | undefined): Promise<string[]> {
  const ids: string[] = [];
  for (const did of dids) {
    try {
      ids.push(
        ...(await ctx.client.json<string[]>('POST', '/rules/', {
          what: `Adding the rule that keeps ${key(did)} on RSE '${rse}'`,
          body: { dids: [did], copies: 1, rse_expression: rse, ...expiryBody(lifetime, 'expires_at') },
        })),
      );
    } catch (error) {
      if (!(error instanceof CliError) || error.exceptionClass !== 'DuplicateRule') throw error;
    }
  }
  return ids;
}

/** Sets the same metadata on many files in one request. */
export async function setFilesMeta(ctx: CommandContext, files: readonly FileDid[], meta: Record<string, unknown>): Promise<void> {
  if (files.length === 0 || Object.keys(meta).length === 0) return;
  await ctx.client.request('POST', '/dids/bulkdidsmeta', {
    what: `Setting the metadata of ${files.length} file(s)`,
    body: { dids: files.map((f) => ({ scope: f.scope, name: f.name, meta })) },
  });
}
