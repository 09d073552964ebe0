import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RseProtocolRecord } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { checksumStream } from '@tarn/checksums';
import { createStorage, StorageMisconfigured, type StorageProtocol } from '@tarn/storage';
import { type Finding, finding } from './doctor.types.js';

/** Where probe files go, under a protocol's prefix: one level deep, so never a deterministic replica's path (scope/xx/yy/name). */
export const PROBE_DIRECTORY = '.tarn-doctor';
const PROBE_BYTES = 4096;

export type OpenProbeStorage = (rse: string, protocol: RseProtocolRecord) => StorageProtocol;

export interface ProbeOptions {
  /** Each storage operation is given this long (ms). */
  stepTimeoutMs: number;
  open?: OpenProbeStorage;
}

export function protocolLabel(rse: string, protocol: Pick<RseProtocolRecord, 'scheme' | 'hostname' | 'port'>): string {
  return `${rse} ${protocol.scheme}://${protocol.hostname}${protocol.port ? `:${protocol.port}` : ''}`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly detail: string,
    /** The protocol's settings or Tarn's credentials for it are wrong (not the storage). */
    readonly misconfigured = false,
  ) {
    super(`${step}: ${detail}`);
  }
}

async function step<T>(name: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepFailed(name, `no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  try {
    return await Promise.race([work(), timeout]);
  } catch (error) {
    throw error instanceof StepFailed ? error : new StepFailed(name, messageOf(error), error instanceof StorageMisconfigured);
  } finally {
    clearTimeout(timer);
  }
}

const offers = (p: RseProtocolRecord, op: 'read' | 'write' | 'delete') =>
  op === 'read' ? p.readLan > 0 || p.readWan > 0 || p.thirdPartyCopyRead > 0 : op === 'write' ? p.writeLan > 0 || p.writeWan > 0 || p.thirdPartyCopyWrite > 0 : p.deleteLan > 0 || p.deleteWan > 0;

/**
 * Probes one protocol of an RSE as Tarn's daemons use it. A protocol that writes: a probe file is written (size and
 * adler32 checked by the write), stat'ed (its size, and the adler32 or md5 the storage reports), read back and compared
 * byte for byte, deleted, and looked for again. A read-only protocol: a file that does not exist is looked for (the
 * endpoint answers and accepts Tarn's credentials). Answers the findings: none when the protocol works.
 */
export async function probeProtocol(rse: string, protocol: RseProtocolRecord, options: ProbeOptions): Promise<Finding[]> {
  const label = protocolLabel(rse, protocol);
  const fixFor = (stepName: string) =>
    stepName === 'open'
      ? `fix the protocol's settings (tarn rse show ${rse}) or Tarn's credentials for ${rse} in its environment (docs/doctor.md#storage)`
      : `check that the endpoint runs and is reachable from Tarn's hosts, and that Tarn's credentials for ${rse} may ${stepName} under '${protocol.prefix}'; ` +
        `meanwhile mark the RSE unavailable in the web UI's RSE page so that no rule waits on it`;
  let storage: StorageProtocol;
  try {
    storage = (options.open ?? ((name, p) => createStorage(p, { rse: name })))(rse, protocol);
  } catch (error) {
    return [finding('storage', 'error', label, `cannot open the protocol: ${messageOf(error)}`, fixFor('open'))];
  }
  const path = `${PROBE_DIRECTORY}/probe-${randomUUID()}`;
  const t = options.stepTimeoutMs;
  let written = false;
  try {
    if (!offers(protocol, 'write')) {
      if (await step('stat', t, () => storage.exists(path))) throw new StepFailed('stat', `a file that was never written is said to exist at ${path}`);
      return [];
    }
    const bytes = randomBytes(PROBE_BYTES);
    const expected = await checksumStream(Readable.from([bytes]), ['adler32', 'md5']);
    await step('write', t, () => storage.write(path, Readable.from([bytes]), { bytes: bytes.length, checksums: { adler32: expected.adler32 } }));
    written = true;
    const stat = await step('stat', t, () => storage.stat(path));
    if (stat.bytes !== bytes.length) throw new StepFailed('stat', `the probe file of ${bytes.length} bytes is said to have ${stat.bytes}`);
    for (const algorithm of ['adler32', 'md5'] as const) {
      const reported = stat.checksums?.[algorithm];
      if (reported && reported !== expected[algorithm]) {
        throw new StepFailed('checksum', `the storage reports ${algorithm} ${reported} for a probe file whose ${algorithm} is ${expected[algorithm]}`);
      }
    }
    const back = await step('read', t, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.read(path)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
    const read = await checksumStream(Readable.from([back]), ['adler32']);
    if (!back.equals(bytes)) {
      throw new StepFailed('checksum', `the probe file read back differs from what was written (${back.length} bytes, adler32 ${read.adler32}; written ${bytes.length} bytes, adler32 ${expected.adler32})`);
    }
    await step('delete', t, () => storage.delete(path));
    if (await step('delete', t, () => storage.exists(path))) throw new StepFailed('delete', `the probe file is still at ${path} after its deletion`);
    written = false;
    return [];
  } catch (error) {
    const failed = error instanceof StepFailed ? error : new StepFailed('probe', messageOf(error));
    const findings = [finding('storage', 'error', label, `${failed.step} failed: ${failed.detail}`, fixFor(failed.misconfigured ? 'open' : failed.step))];
    if (written) {
      const left = await step('delete', t, async () => {
        await storage.delete(path);
        return (await storage.exists(path)) ? 'it is still there after a second deletion' : null;
      }).catch((cleanup: StepFailed) => cleanup.detail);
      if (left) findings.push(finding('storage', 'warning', label, `the probe file ${path} is left on the storage (${left})`, `delete it by hand under the prefix '${protocol.prefix}'`));
    }
    return findings;
  } finally {
    await storage.close().catch(() => undefined);
  }
}

export { offers as protocolOffers };
