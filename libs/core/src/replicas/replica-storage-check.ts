import { checksumStream, type ChecksumAlgorithm } from '@tarn/checksums';
import { deterministicPath, reasonTime } from '@tarn/domain';
import { createStorage, isStorageError, NotFoundOnStorage, type StorageProtocol } from '@tarn/storage';
import type { PendingVerification, RseStorageProtocol, VerificationOutcome } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { ReplicaState } from '@tarn/domain';

/** Seconds before an undecided check is tried again: 30 s doubled per attempt, at most an hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));
}

/** Storage clients of one pass, one per RSE protocol, closed together at the end. */
export class StoragePool {
  private readonly storages = new Map<string, StorageProtocol>();

  constructor(private readonly create: typeof createStorage = createStorage) {}

  get(protocol: RseStorageProtocol): StorageProtocol {
    const key = `${protocol.rseId}|${protocol.scheme}|${protocol.hostname}|${protocol.port}`;
    let storage = this.storages.get(key);
    if (!storage) {
      storage = this.create(protocol, { rse: protocol.rse });
      this.storages.set(key, storage);
    }
    return storage;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.storages.values()].map((s) => s.close()));
    this.storages.clear();
  }
}

const did = (p: PendingVerification) => `${p.scope}:${p.name}`;

/**
 * Checks one announced replica on its RSE's storage, through its protocols in order (the next one when a storage
 * cannot be reached): missing -> bad (never written by its upload: bad when a rule locks it, else drop); other size -> bad; a checksum the storage reports (S3 ETag md5, WebDAV
 * digests) is compared with the catalogue's; otherwise the file is read and adler32 computed (with md5 when the
 * catalogue only has that). Checksums the catalogue lacks are returned to be filled in.
 */
export async function checkReplicaOnStorage(pending: PendingVerification, protocols: readonly RseStorageProtocol[], pool: StoragePool): Promise<VerificationOutcome> {
  const key = { scope: pending.scope, name: pending.name, rseId: pending.rseId };
  // Dequeued without I/O: the replica changed meanwhile (or is gone); the record step ignores it.
  if (pending.state !== ReplicaState.COPYING || pending.bytes === null) return { ...key, verdict: 'ok' };
  const retry = (reason: string): VerificationOutcome => ({ ...key, verdict: 'retry', reason, retryAfterSeconds: retryDelaySeconds(pending.attempts) });
  if (protocols.length === 0) return retry(`RSE has no protocol to reach ${did(pending)} with; add one (tarn rse add-protocol, or rucio-admin rse add-protocol)`);
  const first = protocols[0];
  const path = pending.path ?? (first.deterministic ? deterministicPath(pending.scope, pending.name, first.lfn2pfnAlgorithm ?? 'hash') : null);
  if (path === null) return { ...key, verdict: 'bad', reason: 'no path: the replica on a non-deterministic RSE has none recorded' };

  const failures: string[] = [];
  for (const protocol of protocols) {
    let storage: StorageProtocol;
    try {
      storage = pool.get(protocol);
    } catch (error) {
      failures.push((error as Error).message);
      continue;
    }
    try {
      return await checkOn(storage, path, pending, key, readsWithoutStat(protocol, pending.bytes));
    } catch (error) {
      if (error instanceof NotFoundOnStorage) {
        if (pending.written) return { ...key, verdict: 'bad', reason: `missing on storage (${storage.endpoint}${path})` };
        return {
          ...key,
          verdict: pending.lockCnt > 0 ? 'bad' : 'drop',
          reason: `never written: announced by an upload at ${reasonTime(pending.announcedAt)} and still missing on storage (${storage.endpoint}${path})`,
        };
      }
      if (!isStorageError(error)) throw error;
      failures.push((error as Error).message);
    }
  }
  return retry(failures.join('; '));
}

/** Up to this size a local file is read at once: its stat would cost as much as the read, which finds the size too. */
const READ_WITHOUT_STAT_BYTES = 1024 * 1024;

/** Local files report no checksums: a small one is read straight away (a missing one fails the read alike). */
function readsWithoutStat(protocol: RseStorageProtocol, bytes: number): boolean {
  const scheme = protocol.scheme.toLowerCase();
  return (scheme === 'file' || scheme === 'posix') && bytes <= READ_WITHOUT_STAT_BYTES;
}

async function checkOn(
  storage: StorageProtocol,
  path: string,
  pending: PendingVerification,
  key: Pick<VerificationOutcome, 'scope' | 'name' | 'rseId'>,
  skipStat: boolean,
): Promise<VerificationOutcome> {
  const stat = skipStat ? null : await storage.stat(path);
  if (stat && stat.bytes !== pending.bytes) {
    return { ...key, verdict: 'bad', reason: `size mismatch: the storage has ${stat.bytes} bytes, the catalogue ${pending.bytes}` };
  }
  const catalogue = { adler32: pending.adler32?.toLowerCase() ?? null, md5: pending.md5?.toLowerCase() ?? null };
  const reported = { adler32: stat?.checksums?.adler32?.toLowerCase() ?? null, md5: stat?.checksums?.md5?.toLowerCase() ?? null };
  let compared = false;
  for (const alg of ['adler32', 'md5'] as const) {
    if (catalogue[alg] && reported[alg]) {
      if (catalogue[alg] !== reported[alg]) return mismatch(key, alg, reported[alg]!, catalogue[alg]!);
      compared = true;
    }
  }
  if (compared) return { ...key, verdict: 'ok', adler32: reported.adler32, md5: reported.md5 };

  const algorithms: ChecksumAlgorithm[] = ['adler32'];
  if (catalogue.md5 && !catalogue.adler32) algorithms.push('md5');
  const computed = await checksumStream(await storage.read(path), algorithms);
  if (computed.bytes !== pending.bytes) {
    const reason = stat
      ? `size mismatch: ${computed.bytes} bytes read from the storage, the catalogue has ${pending.bytes}`
      : `size mismatch: the storage has ${computed.bytes} bytes, the catalogue ${pending.bytes}`;
    return { ...key, verdict: 'bad', reason };
  }
  for (const alg of algorithms) {
    const value = computed[alg as 'adler32' | 'md5']!;
    const expected = catalogue[alg as 'adler32' | 'md5'];
    if (expected && expected !== value) return mismatch(key, alg as 'adler32' | 'md5', value, expected);
  }
  return { ...key, verdict: 'ok', adler32: computed.adler32 ?? null, md5: computed.md5 ?? reported.md5 };
}

function mismatch(key: Pick<VerificationOutcome, 'scope' | 'name' | 'rseId'>, alg: string, storage: string, catalogue: string): VerificationOutcome {
  return { ...key, verdict: 'bad', reason: `${alg} mismatch: the storage has ${storage}, the catalogue ${catalogue}` };
}
