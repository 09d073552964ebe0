import type { Readable } from 'node:stream';
import { ChecksumSet, type ChecksumAlgorithm } from '@tarn/checksums';
import { ChecksumMismatch, type StorageChecksums } from '@tarn/storage';
import { copyLocalFile, LocalCopyMismatch } from './posix-local-copy.js';
import type { OpenedProtocol, TransferEndpoint } from './transfer-endpoints.js';

/** One file to copy, with what the catalogue says about it. */
export interface CopyJob {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  source: TransferEndpoint;
  destination: TransferEndpoint;
  /** Aborting it stops the copy (the destination keeps nothing). */
  signal?: AbortSignal;
  /** Files smaller than this are streamed even where a third-party copy is possible (configs transfers/tpc_min_bytes). */
  thirdPartyMinBytes?: number;
  /** Told every storage error met on the way (which names its endpoint), also those another protocol got past. */
  storageFailed?: (error: unknown) => void;
}

/** How the bytes went: copied by the storage itself (third-party, server-side), or through this host. */
export type CopyMethod = 'third-party' | 'streamed';

export interface CopyResult {
  bytes: number;
  adler32: string | null;
  md5: string | null;
  method: CopyMethod;
  /** Why this method, through which protocols, and which protocols failed before (the transfer's record). */
  reason: string;
}

/** Why a copy failed, and whose fault it most likely was (the next attempt prefers another source if the source's). */
export class CopyFailed extends Error {
  constructor(
    message: string,
    readonly blame: 'source' | 'destination',
  ) {
    super(message);
  }
}

/** The bytes read from the source do not match the catalogue: its replica is corrupt (or was truncated). */
export class CorruptSource extends CopyFailed {
  constructor(
    message: string,
    /** What differs, e.g. `adler32 expected 0a0b0c0d, read 01020304`. */
    readonly finding: string,
  ) {
    super(message, 'source');
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What one copy needs to know of the file and its two ends. */
interface Copy {
  job: CopyJob;
  did: string;
  expected: StorageChecksums;
  algorithms: ChecksumAlgorithm[];
}

function routeOf(copy: Copy, from: OpenedProtocol, to: OpenedProtocol): string {
  const { source, destination } = copy.job;
  return `${copy.did} from ${source.rse} (${from.storage.endpoint}${source.path}) to ${destination.rse} (${to.storage.endpoint}${destination.path})`;
}

/**
 * Copies a file from its source RSE to its destination RSE and verifies it, choosing how:
 * 1. third-party, where a destination protocol and a source protocol both allow it (third_party_copy_write and
 *    _read priorities > 0) and the destination's storage can copy from that source by itself (XRootD to XRootD,
 *    HTTP-TPC between WebDAV servers, within one S3 endpoint): no byte through this host, checked at the
 *    destination before (S3: right after) the file shows;
 * 2. otherwise streamed through this host, with its adler32 (and md5 when the file has one) computed in the same
 *    pass and checked, with the size, before the destination makes the file visible (between two local posix
 *    RSEs the kernel copies). A protocol that fails gives way to the RSE's next one by priority: a source's next
 *    read protocol, a destination's next write protocol.
 * The result says which method, why, and which protocols failed first. Throws CopyFailed naming the file, both
 * RSEs and the reasons; CorruptSource when the source's bytes do not match the catalogue.
 */
export async function copyVerified(job: CopyJob): Promise<CopyResult> {
  const expected: StorageChecksums = {};
  if (job.adler32) expected.adler32 = job.adler32;
  if (job.md5) expected.md5 = job.md5;
  const copy: Copy = { job, did: `${job.scope}:${job.name}`, expected, algorithms: job.md5 ? ['adler32', 'md5'] : ['adler32'] };
  job.signal?.throwIfAborted();
  const thirdParty = await tryThirdParty(copy);
  if ('result' in thirdParty) return thirdParty.result;
  return streamWithFallback(copy, thirdParty.why);
}

/** The third-party copy, or why there was none (each protocol pair's refusal or failure). */
async function tryThirdParty(copy: Copy): Promise<{ result: CopyResult } | { why: string[] }> {
  const { job } = copy;
  const byTpc = (a: OpenedProtocol, b: OpenedProtocol) => a.tpc - b.tpc;
  // A door that did not answer lately is not waited for again here while the RSE has another one to stream through.
  const answering = (protocols: OpenedProtocol[]) => (protocols.some((p) => !p.lastResort) ? protocols.filter((p) => !p.lastResort) : protocols);
  const tpcWriters = job.destination.protocols.filter((p) => p.tpc > 0 && p.storage.copyFrom);
  const tpcReaders = job.source.protocols.filter((p) => p.tpc > 0);
  if (tpcWriters.length === 0) return { why: [`no write protocol of ${job.destination.rse} takes third-party copies (third_party_copy_write > 0, a storage that copies by itself)`] };
  if (tpcReaders.length === 0) return { why: [`no read protocol of ${job.source.rse} allows third-party copies (third_party_copy_read > 0)`] };
  const destinations = tpcWriters.filter((p) => answering(job.destination.protocols).includes(p)).sort(byTpc);
  const sources = tpcReaders.filter((p) => answering(job.source.protocols).includes(p)).sort(byTpc);
  const unanswered = [...tpcWriters, ...tpcReaders].filter((p) => !destinations.includes(p) && !sources.includes(p)).map((p) => p.storage.endpoint);
  if (destinations.length === 0 || sources.length === 0) return { why: [`${unanswered.join(' and ')} did not answer lately`] };
  const minimum = job.thirdPartyMinBytes ?? 0;
  if (job.bytes < minimum) return { why: [`smaller than transfers/tpc_min_bytes (${minimum})`] };
  const why: string[] = [];
  for (const to of destinations) {
    for (const from of sources) {
      let copied;
      try {
        copied = await to.storage.copyFrom!(from.storage, job.source.path, job.destination.path, {
          bytes: job.bytes,
          checksums: copy.expected,
          algorithms: copy.algorithms,
          signal: job.signal,
        });
      } catch (error) {
        job.signal?.throwIfAborted();
        job.storageFailed?.(error);
        if (error instanceof ChecksumMismatch) {
          const what = error.mismatched.map((m) => `${m.what} expected ${m.expected}, copied ${m.actual}`).join('; ');
          throw new CorruptSource(`the source replica of ${routeOf(copy, from, to)} does not match the catalogue (${what}, copied third-party): it may be corrupted; nothing was kept`, what);
        }
        why.push(`third-party copy ${from.scheme}:// -> ${to.scheme}:// failed (${messageOf(error)})`);
        continue;
      }
      if ('refused' in copied) {
        why.push(copied.refused);
        continue;
      }
      const sums = copied.verified ? copied.result : await verifyAtDestination(copy, to, routeOf(copy, from, to));
      return {
        result: {
          bytes: job.bytes,
          adler32: sums.adler32 ?? job.adler32,
          md5: sums.md5 ?? job.md5,
          method: 'third-party',
          reason: copied.how + (why.length > 0 ? ` (after: ${why.join('; ')})` : ''),
        },
      };
    }
  }
  return { why };
}

/** Streams through this host, over the best protocols that work. */
async function streamWithFallback(copy: Copy, whyNotThirdParty: string[]): Promise<CopyResult> {
  const { job } = copy;
  const failures: { side: 'source' | 'destination'; text: string; error: CopyFailed }[] = [];
  const why = [...new Set(whyNotThirdParty)].join('; ');
  for (const to of job.destination.protocols) {
    for (const from of job.source.protocols) {
      try {
        const done = await streamOne(copy, from, to);
        const way =
          done.via === 'the kernel'
            ? 'both ends are local directories of this host: copied by the kernel'
            : `streamed through this host (${from.scheme}:// -> ${to.scheme}://${done.via === 'the storage client' ? ', by the XRootD client' : ''})`;
        const fallbacks = failures.map((f) => `${f.side} ${f.text}`);
        return {
          bytes: done.bytes,
          adler32: done.adler32 ?? null,
          md5: done.md5 ?? null,
          method: 'streamed',
          reason: `${way}${why ? `; no third-party copy: ${why}` : ''}${fallbacks.length > 0 ? `; fell back after: ${fallbacks.join('; ')}` : ''}`,
        };
      } catch (error) {
        if (error instanceof CorruptSource || !(error instanceof CopyFailed)) throw error;
        job.signal?.throwIfAborted();
        const endpoint = error.blame === 'source' ? from.storage.endpoint : to.storage.endpoint;
        failures.push({ side: error.blame, text: `${endpoint} failed: ${error.message}`, error });
        if (error.blame === 'destination') break; // the next write protocol, from the best source again
      }
    }
    if (failures.at(-1)?.side === 'source') break; // every read protocol failed: another destination will not help
  }
  const [first, ...others] = failures;
  if (!first) throw new CopyFailed(`no protocol to copy ${copy.did} from ${job.source.rse} to ${job.destination.rse}`, 'destination');
  const also = others.length > 0 ? ` (then, through the next protocols: ${others.map((f) => f.error.message).join('; ')})` : '';
  throw new CopyFailed(`${first.error.message}${also}`, failures.at(-1)!.side);
}

/** One streamed (or, between two local posix directories, kernel) copy over one protocol pair. */
async function streamOne(copy: Copy, from: OpenedProtocol, to: OpenedProtocol): Promise<{ bytes: number; adler32?: string; md5?: string; via: 'the kernel' | 'the storage client' | 'Tarn' }> {
  const { job, expected, algorithms } = copy;
  const route = routeOf(copy, from, to);
  if (from.localRoot && to.localRoot) {
    try {
      const sums = await copyLocalFile(
        { root: from.localRoot, path: job.source.path },
        { root: to.localRoot, path: job.destination.path },
        { bytes: job.bytes, ...expected },
        algorithms,
        job.signal,
      );
      return { ...sums, via: 'the kernel' };
    } catch (error) {
      if (error instanceof LocalCopyMismatch) {
        throw new CorruptSource(`the source replica of ${route} does not match the catalogue (${error.message}): it may be corrupted; nothing was written`, error.message);
      }
      const code = (error as { code?: string }).code;
      const sourceSide = code === 'ENOENT' && (error as { path?: string }).path?.startsWith(from.localRoot);
      throw new CopyFailed(`copy of ${route} failed: ${messageOf(error)}`, sourceSide ? 'source' : 'destination');
    }
  }

  if (to.storage.streamFrom) {
    let streamed;
    try {
      streamed = await to.storage.streamFrom(from.storage, job.source.path, job.destination.path, { bytes: job.bytes, checksums: expected, algorithms, signal: job.signal });
    } catch (error) {
      job.signal?.throwIfAborted();
      job.storageFailed?.(error);
      if (error instanceof ChecksumMismatch) {
        const what = error.mismatched.map((m) => `${m.what} expected ${m.expected}, copied ${m.actual}`).join('; ');
        throw new CorruptSource(`the source replica of ${route} does not match the catalogue (${what}): it may be corrupted; nothing was kept`, what);
      }
      const sourceSide = (error as { storage?: { endpoint?: string } }).storage?.endpoint === from.storage.endpoint;
      throw new CopyFailed(`copy of ${route} failed: ${messageOf(error)}`, sourceSide ? 'source' : 'destination');
    }
    if (streamed) return { ...streamed, via: 'the storage client' };
  }

  let stream: Readable;
  try {
    stream = await from.storage.read(job.source.path);
  } catch (error) {
    job.storageFailed?.(error);
    throw new CopyFailed(`cannot read the source of ${route}: ${messageOf(error)}`, 'source');
  }
  const abort = () => stream.destroy(new Error('the transfer was cancelled'));
  job.signal?.addEventListener('abort', abort, { once: true });
  try {
    // The write itself verifies size and checksums before committing the file: no second look needed.
    const written = await to.storage.write(job.destination.path, stream, { bytes: job.bytes, checksums: expected, algorithms });
    return { ...written, via: 'Tarn' };
  } catch (error) {
    stream.destroy();
    job.storageFailed?.(error);
    if (error instanceof ChecksumMismatch) {
      const what = error.mismatched.map((m) => `${m.what} expected ${m.expected}, read ${m.actual}`).join('; ');
      throw new CorruptSource(`the source replica of ${route} does not match the catalogue (${what}): it may be corrupted; nothing was written`, what);
    }
    const sourceSide = (error as { storage?: { endpoint?: string } }).storage?.endpoint === from.storage.endpoint;
    throw new CopyFailed(`copy of ${route} failed: ${messageOf(error)}`, sourceSide ? 'source' : 'destination');
  } finally {
    job.signal?.removeEventListener('abort', abort);
  }
}

/**
 * What the destination says after a storage-side copy it did not check itself (S3 server-side): its size, and the
 * checksums it reports (S3 ETag, WebDAV Digest); unless it reported one to compare, the file is read back and
 * checksummed. A mismatch removes the file and fails.
 */
async function verifyAtDestination(copy: Copy, to: OpenedProtocol, route: string): Promise<StorageChecksums> {
  const { job, expected, algorithms } = copy;
  const storage = to.storage;
  const path = job.destination.path;
  const fail = async (why: string, blame: 'corrupt source' | 'destination'): Promise<never> => {
    await storage.delete(path).catch(() => undefined);
    const message = `verification of ${route} at the destination failed: ${why}; the copy was removed`;
    throw blame === 'destination' ? new CopyFailed(message, blame) : new CorruptSource(message, `copied server-side: ${why}`);
  };
  let stat;
  try {
    stat = await storage.stat(path);
  } catch (error) {
    throw new CopyFailed(`cannot check ${route} at the destination: ${messageOf(error)}`, 'destination');
  }
  if (stat.bytes !== job.bytes) await fail(`size ${stat.bytes}, expected ${job.bytes}`, 'destination');
  const reported = stat.checksums ?? {};
  let compared = false;
  for (const algorithm of ['adler32', 'md5'] as const) {
    if (expected[algorithm] && reported[algorithm]) {
      compared = true;
      if (expected[algorithm] !== reported[algorithm]) await fail(`${algorithm} ${reported[algorithm]}, expected ${expected[algorithm]}`, 'corrupt source');
    }
  }
  if (compared) return {};
  const set = await ChecksumSet.create(algorithms);
  try {
    const stream = await storage.read(path);
    for await (const chunk of stream) set.update(chunk as Buffer);
  } catch (error) {
    throw new CopyFailed(`cannot read back ${route} at the destination: ${messageOf(error)}`, 'destination');
  }
  const actual = set.result();
  for (const algorithm of ['adler32', 'md5'] as const) {
    if (expected[algorithm] && actual[algorithm] !== expected[algorithm]) {
      await fail(`${algorithm} ${actual[algorithm]}, expected ${expected[algorithm]}`, 'corrupt source');
    }
  }
  return { adler32: actual.adler32, md5: actual.md5 };
}
