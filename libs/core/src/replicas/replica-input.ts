import { formatDid, InvalidInput, InvalidInputClass, ReplicaState, validateDid } from '@tarn/domain';
import { guidOf, validateMeta } from '../dids/did-validation.js';
import type { ReplicaFileInput } from './replica.types.js';

const STATE_NAMES: Record<string, ReplicaState> = Object.fromEntries(Object.entries(ReplicaState)) as Record<string, ReplicaState>;

function invalid(message: string, rucioClass: InvalidInputClass = 'InputValidationError', details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass, details });
}

/** A replica state from its name (AVAILABLE) or code (A). */
export function parseReplicaState(value: string, what: string): ReplicaState {
  const upper = String(value).toUpperCase();
  const state = STATE_NAMES[upper] ?? Object.values(STATE_NAMES).find((code) => code === upper);
  if (!state) {
    throw invalid(`Unknown replica state ${JSON.stringify(value)} for ${what}. Use one of ${Object.keys(STATE_NAMES).join(', ')}.`, 'UnsupportedStatus', {
      state: value,
    });
  }
  return state;
}

export function replicaStateName(state: ReplicaState): string {
  return Object.keys(STATE_NAMES).find((name) => STATE_NAMES[name] === state) ?? state;
}

const CHECKSUMS: Array<{ key: 'adler32' | 'md5' | 'xxh64'; length: number; pattern: RegExp }> = [
  { key: 'adler32', length: 8, pattern: /^[0-9a-f]{8}$/ },
  { key: 'md5', length: 32, pattern: /^[0-9a-f]{32}$/ },
  { key: 'xxh64', length: 16, pattern: /^[0-9a-f]{16}$/ },
];

const REGISTRABLE = new Set<ReplicaState>([ReplicaState.AVAILABLE, ReplicaState.UNAVAILABLE, ReplicaState.COPYING, ReplicaState.TEMPORARY_UNAVAILABLE]);

export interface ValidReplicaFile {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  xxh64: string | null;
  pfn: string | null;
  path: string | null;
  state: ReplicaState;
  /** The file's GUID (a dashed UUID), or null. */
  guid: string | null;
  /** Metadata for the file DID (validated), or null. */
  meta: Record<string, unknown> | null;
}

/** Validates the files of a registration (names, sizes, checksums, states, no file twice). */
export function validReplicaFiles(files: readonly ReplicaFileInput[], rse: string): ValidReplicaFile[] {
  if (!Array.isArray(files) || files.length === 0) throw invalid(`Give at least one file replica to register on RSE '${rse}'.`);
  const seen = new Set<string>();
  return files.map((file, index) => {
    validateDid(file);
    const did = formatDid(file);
    if (seen.has(did)) throw invalid(`File ${did} is listed twice in one registration on RSE '${rse}'. List each file once.`, 'InputValidationError', { did });
    seen.add(did);
    if (typeof file.bytes !== 'number' || !Number.isSafeInteger(file.bytes) || file.bytes < 0) {
      throw invalid(`Replica ${index + 1} (${did}) has an invalid size ${JSON.stringify(file.bytes)}: give the number of bytes.`, 'InputValidationError', { did });
    }
    const checksums: Record<string, string | null> = {};
    for (const { key, length, pattern } of CHECKSUMS) {
      const value = file[key];
      if (value === undefined || value === null || value === '') {
        checksums[key] = null;
        continue;
      }
      const hex = String(value).toLowerCase();
      if (!pattern.test(hex)) {
        throw invalid(`The ${key} of ${did} is ${JSON.stringify(value)}; it must be ${length} hexadecimal digits.`, 'InputValidationError', { did, [key]: value });
      }
      checksums[key] = hex;
    }
    const state = file.state === undefined || file.state === null ? ReplicaState.AVAILABLE : parseReplicaState(String(file.state), did);
    // The stock upload sends the file's GUID in its meta; it is the file's GUID, not free metadata.
    const { guid: metaGuid, ...meta } = file.meta ?? {};
    if (!REGISTRABLE.has(state)) {
      throw invalid(
        `A replica of ${did} cannot be registered as ${replicaStateName(state)}; register it AVAILABLE, UNAVAILABLE, COPYING or TEMPORARY_UNAVAILABLE` +
          ' (declare bad replicas with declareBadReplicas).',
        'UnsupportedStatus',
        { did, state },
      );
    }
    return {
      scope: file.scope,
      name: file.name,
      bytes: file.bytes,
      adler32: checksums.adler32,
      md5: checksums.md5,
      xxh64: checksums.xxh64,
      pfn: file.pfn ?? null,
      path: file.path ?? null,
      state,
      guid: guidOf(file.guid ?? metaGuid, did),
      meta: Object.keys(meta).length === 0 ? null : validateMeta(meta, did),
    };
  });
}
