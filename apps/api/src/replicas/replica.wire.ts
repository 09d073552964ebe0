import { ApiResponse } from '@nestjs/swagger';
import { RseType } from '@tarn/domain';
import type { DatasetReplicaView, FileReplicas } from '@tarn/core';
import type { BadReplicaDeclaration } from '@tarn/core';
import { replicaStateName } from '@tarn/core';
import { mapOf, named, shape } from '../http/answers.js';
import { NDJSON_TYPE, rfc1123 } from '../http/rucio-wire.js';

/** What the wire needs of an RSE beyond what a replica row carries. */
export interface RseWireInfo {
  type: string;
  volatile: boolean;
  availabilityRead: boolean;
}

export interface ReplicaWireOptions {
  /** RSE facts by RSE id. */
  rses: Map<string, RseWireInfo>;
  /** Leave out replicas on RSEs not available for reading. */
  readableOnly: boolean;
  /** Keep at most this many PFNs per file (best first). */
  limit: number | null;
  /** Rucio's nrandom: keep the replicas of at most this many RSEs per file, picked at random. */
  nrandom?: number | null;
}

/** `count` of the values, picked at random (all of them when there are no more). */
function pickRandom<T>(values: readonly T[], count: number): Set<T> {
  const pool = [...values];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return new Set(pool.slice(0, count));
}

export interface PfnEntry {
  pfn: string;
  rse: string;
  rseId: string;
  type: string;
  volatile: boolean;
  domain: string;
  /** 1..n over the file's PFNs, best first (Metalink's priority). */
  priority: number;
  protocolPriority: number;
}

/** One file of Rucio's list_replicas, its PFNs in order; rendered as JSON or Metalink without building the dict. */
export interface ReplicaWire {
  scope: string;
  name: string;
  bytes: number | null;
  md5: string | null;
  adler32: string | null;
  pfns: PfnEntry[];
  states: Array<[rse: string, state: string]>;
  /** Ancestors as 'scope:name', when asked for (resolve_parents). */
  parents?: string[];
}

const byDomainPriorityPfn = (a: PfnEntry, b: PfnEntry) =>
  a.domain !== b.domain ? (a.domain < b.domain ? -1 : 1) : a.protocolPriority - b.protocolPriority || (a.pfn < b.pfn ? -1 : a.pfn > b.pfn ? 1 : 0);

/** Orders a file's PFNs as Rucio does, by (domain, protocol priority, pfn), and numbers them 1..n. */
export function replicaWire(file: FileReplicas, options: ReplicaWireOptions): ReplicaWire {
  const states: Array<[string, string]> = [];
  const pfns: PfnEntry[] = [];
  const readable = options.readableOnly
    ? file.replicas.filter((r) => options.rses.get(r.rseId)?.availabilityRead !== false)
    : file.replicas;
  const picked = options.nrandom && readable.length > options.nrandom ? pickRandom(readable.map((r) => r.rseId), options.nrandom) : null;
  for (const replica of readable) {
    const rse = options.rses.get(replica.rseId);
    if (picked && !picked.has(replica.rseId)) continue;
    states.push([replica.rse, replicaStateName(replica.state)]);
    for (const p of replica.pfns) {
      pfns.push({
        pfn: p.pfn,
        rse: replica.rse,
        rseId: replica.rseId,
        type: rse?.type ?? RseType.DISK,
        volatile: rse?.volatile ?? false,
        domain: p.domain,
        priority: 0,
        protocolPriority: p.priority,
      });
    }
  }
  if (pfns.length > 1) pfns.sort(byDomainPriorityPfn);
  const kept = options.limit !== null && pfns.length > options.limit ? pfns.slice(0, options.limit) : pfns;
  for (let i = 0; i < kept.length; i++) kept[i].priority = i + 1;
  return { scope: file.scope, name: file.name, bytes: file.bytes, md5: file.md5, adler32: file.adler32, pfns: kept, states, parents: file.parents };
}

const str = (text: string | null) => (text === null ? 'null' : JSON.stringify(text));

/**
 * Renders NDJSON lines of Rucio's replica dict: {scope, name, bytes, md5, adler32, pfns: {pfn: {rse_id, rse, type,
 * volatile, domain, priority, client_extract}}, rses: {rse: [pfn, ...]}, states: {rse: state}}. Written as text:
 * objects keyed by PFNs would cost more than the rest of the listing. The parts that repeat from file to file
 * (the scope, each RSE's fields) are encoded once per listing.
 */
export function replicaJsonRenderer(): (file: ReplicaWire) => string {
  let lastScope = '';
  let lastScopeJson = '""';
  const rseFields = new Map<string, string>();
  const rseFieldsOf = (e: PfnEntry) => {
    const key = `${e.rseId}|${e.domain}`;
    let fields = rseFields.get(key);
    if (fields === undefined) {
      fields = `"rse_id":${str(e.rseId)},"rse":${str(e.rse)},"type":${str(e.type)},"volatile":${e.volatile},"domain":${str(e.domain)}`;
      rseFields.set(key, fields);
    }
    return fields;
  };
  return (file) => {
    if (file.scope !== lastScope) {
      lastScope = file.scope;
      lastScopeJson = str(file.scope);
    }
    let pfns = '';
    let rses = '';
    const pfnJson = file.pfns.map((e) => str(e.pfn));
    file.pfns.forEach((e, i) => {
      pfns += `${i === 0 ? '' : ','}${pfnJson[i]}:{${rseFieldsOf(e)},"priority":${e.priority},"client_extract":false}`;
    });
    if (file.pfns.length > 0) {
      const order = file.pfns.map((_, i) => i);
      order.sort((a, b) => {
        const x = file.pfns[a];
        const y = file.pfns[b];
        return x.rseId < y.rseId ? -1 : x.rseId > y.rseId ? 1 : x.priority - y.priority;
      });
      let current = '';
      for (const i of order) {
        const rse = file.pfns[i].rse;
        if (rse !== current) {
          rses += `${current === '' ? '' : '],'}${str(rse)}:[${pfnJson[i]}`;
          current = rse;
        } else rses += `,${pfnJson[i]}`;
      }
      rses += ']';
    }
    let states = '';
    for (const [rse, state] of file.states) states += `${states === '' ? '' : ','}${str(rse)}:"${state}"`;
    return (
      `{"scope":${lastScopeJson},"name":${str(file.name)},"bytes":${file.bytes ?? 'null'},"md5":${str(file.md5)},` +
      `"adler32":${str(file.adler32)},"pfns":{${pfns}},"rses":{${rses}},"states":{${states}}` +
      `${file.parents ? `,"parents":[${file.parents.map(str).join(',')}]` : ''}}\n`
    );
  };
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xml = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);

export const METALINK_TYPE = 'application/metalink4+xml';
export const METALINK_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n';
export const METALINK_TAIL = '</metalink>\n';

/** One <file> of Rucio's Metalink 4 answer (what the stock client's download parses). */
export function metalinkFile(file: ReplicaWire): string {
  const did = `${file.scope}:${file.name}`;
  let out = ` <file name="${xml(file.name)}">\n`;
  if (file.parents && file.parents.length > 0) {
    out += `  <parents>\n${file.parents.map((p) => `   <did>${xml(p)}</did>\n`).join('')}  </parents>\n`;
  }
  out += `  <identity>${xml(did)}</identity>\n`;
  if (file.adler32 !== null) out += `  <hash type="adler32">${xml(file.adler32)}</hash>\n`;
  if (file.md5 !== null) out += `  <hash type="md5">${xml(file.md5)}</hash>\n`;
  out += `  <size>${file.bytes ?? 0}</size>\n`;
  out += `  <glfn name="/tarn/rucio/${xml(did)}"></glfn>\n`;
  for (const e of file.pfns) {
    out += `  <url location="${xml(e.rse)}" domain="${e.domain}" priority="${e.priority}" client_extract="false">${xml(e.pfn)}</url>\n`;
  }
  return `${out} </file>\n`;
}

const REPLICA_LINE = named('FileReplicas', {
  ...shape({
    scope: 'string', name: 'string', bytes: 'integer?', md5: 'string?', adler32: 'string?',
    pfns: mapOf(shape({ rse_id: 'string', rse: 'string', type: 'string', volatile: 'boolean', domain: 'string', priority: 'integer', client_extract: 'boolean' }), 'By PFN, best first.'),
    rses: mapOf('string[]', 'The PFNs of each RSE.'),
    states: mapOf('string', 'The replica state on each RSE.'),
  }),
  description: "One file of Rucio's list_replicas; with resolve_parents also its parents ('scope:name').",
});

/** The replica listings: NDJSON, or Metalink 4 when asked with Accept: application/metalink4+xml (the stock client's download). */
export const ReplicaListAnswer = () =>
  ApiResponse({
    status: 200,
    description: 'The replicas of the files, one JSON object per line; or a Metalink 4 document.',
    content: { [NDJSON_TYPE]: { schema: REPLICA_LINE }, [METALINK_TYPE]: { schema: { type: 'string' } } },
  });

export const DATASET_REPLICA_LINE = named(
  'DatasetReplica',
  shape({
    scope: 'string', name: 'string', rse: 'string', rse_id: 'string', bytes: 'integer', length: 'integer', available_bytes: 'integer',
    available_length: 'integer', state: { type: 'string', enum: ['AVAILABLE', 'UNAVAILABLE'] }, created_at: 'date', updated_at: 'date', accessed_at: 'date?',
  }),
);

/** A dataset replica as Rucio writes it: complete (AVAILABLE) when every file of the collection is available there. */
export function datasetReplicaWire(row: DatasetReplicaView): Record<string, unknown> {
  return {
    scope: row.scope,
    name: row.name,
    rse: row.rse,
    rse_id: row.rseId,
    bytes: row.bytes,
    length: row.length,
    available_bytes: row.availableBytes,
    available_length: row.availableLength,
    state: row.availableLength === row.length ? 'AVAILABLE' : 'UNAVAILABLE',
    created_at: rfc1123(row.createdAt),
    updated_at: rfc1123(row.updatedAt),
    accessed_at: rfc1123(row.accessedAt),
  };
}

export const NOT_DECLARED_ANSWER = named('NotDeclared', mapOf('string[]', 'The replicas that were not declared, by RSE, each with the reason.'));

export const SUSPICIOUS_ANSWER = named(
  'SuspiciousReplica',
  shape({ scope: 'string', name: 'string', rse: 'string', rse_id: 'string', cnt: 'integer', created_at: 'date' }),
);

const BAD_STATE_NAMES: Record<string, string> = { B: 'BAD', S: 'SUSPICIOUS', L: 'LOST' };

/** A declaration as Rucio's list_bad_replicas_status answers it. */
export function badReplicaWire(row: BadReplicaDeclaration): Record<string, unknown> {
  return {
    scope: row.scope,
    name: row.name,
    rse: row.rse,
    rse_id: row.rseId,
    state: BAD_STATE_NAMES[row.state] ?? row.state,
    reason: row.reason,
    account: row.account,
    bytes: row.bytes,
    created_at: rfc1123(row.createdAt),
    updated_at: rfc1123(row.updatedAt),
  };
}

export const BAD_REPLICA_LINE = named(
  'BadReplicaDeclaration',
  shape({
    scope: 'string', name: 'string', rse: 'string', rse_id: 'string', state: { type: 'string', enum: ['BAD', 'SUSPICIOUS', 'LOST'] },
    reason: 'string?', account: 'string', bytes: 'integer?', created_at: 'date', updated_at: 'date',
  }),
);
