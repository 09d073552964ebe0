import { DEFAULT_LFN2PFN_ALGORITHM, type CatalogueImport, type ImportedAccount, type ImportedRse, type RseProtocolInput } from '@tarn/core';
import type { RseAttributeValue } from '@tarn/domain';
import { badRequest, jsonObject } from '../rses/request-body.js';
import { addRseInput, attributeValue, protocolInput } from '../rses/rse.wire.js';
import type { RsePropertiesDto } from '../rses/rse.dto.js';
import type { RseProtocolDto } from '../rses/rse-protocol.dto.js';

type Json = Record<string, unknown>;

const object = (value: unknown, what: string): Json => jsonObject<Json>(value, what);

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest('InvalidObject', `${what} must be a JSON array, not ${value === null ? 'null' : typeof value}.`);
  return value;
}

/**
 * One RSE of an import in the shape GET /export answers it (Rucio's export_rse): its properties, protocols,
 * attributes and limits; lfn2pfn_algorithm and verify_checksum beside the properties are attributes, as in Rucio.
 */
function importedRse(rse: string, value: unknown): ImportedRse {
  const body = object(value, `RSE '${rse}' of the import`);
  const attributes: Record<string, RseAttributeValue> = {};
  for (const [key, v] of Object.entries(object(body.attributes, `The attributes of RSE '${rse}'`))) attributes[key] = attributeValue(v);
  const implied = { lfn2pfn_algorithm: DEFAULT_LFN2PFN_ALGORITHM, verify_checksum: true } as const;
  for (const [key, fallback] of Object.entries(implied)) {
    const v = body[key];
    if (v !== undefined && v !== null && !(key in attributes) && v !== fallback) attributes[key] = attributeValue(v);
  }
  const limits: Record<string, number> = {};
  for (const [name, bytes] of Object.entries(object(body.limits, `The limits of RSE '${rse}'`))) limits[name] = bytes as number;
  if (body.MinFreeSpace !== undefined && body.MinFreeSpace !== null) limits.MinFreeSpace = body.MinFreeSpace as number;
  const protocols = body.protocols === undefined || body.protocols === null ? [] : array(body.protocols, `The protocols of RSE '${rse}'`);
  return {
    rse,
    properties: addRseInput(rse, body as RsePropertiesDto),
    protocols: protocols.map((p, i) => protocolInput(object(p, `Protocol ${i + 1} of RSE '${rse}'`) as RseProtocolDto) as RseProtocolInput),
    attributes,
    limits,
  };
}

function importedAccount(value: unknown, i: number): ImportedAccount {
  const body = object(value, `Account ${i + 1} of the import`);
  if (typeof body.account !== 'string') throw badRequest('InvalidObject', `Account ${i + 1} of the import has no account name (key 'account').`);
  const identities = body.identities === undefined || body.identities === null ? undefined : array(body.identities, `The identities of account '${body.account}'`);
  return {
    account: body.account,
    email: body.email as string,
    identities: identities?.map((id, j) => {
      const identity = object(id, `Identity ${j + 1} of account '${body.account}'`);
      return { type: identity.type as string, identity: identity.identity as string, password: identity.password as string | undefined };
    }),
  };
}

/** Rucio's import body: {rses: {name: rse}, distances: {src: {dest: {distance}}}, accounts: [{account, email, identities}]}. */
export function catalogueImport(body: unknown): CatalogueImport {
  const data = object(body, 'The body of an import');
  const rses = Object.entries(object(data.rses, "The import's rses")).map(([name, rse]) => importedRse(name, rse));
  const distances: CatalogueImport['distances'] = [];
  for (const [src, dests] of Object.entries(object(data.distances, "The import's distances"))) {
    for (const [dest, d] of Object.entries(object(dests, `The distances from RSE '${src}'`))) {
      const entry = object(d, `The distance from RSE '${src}' to '${dest}'`);
      distances.push({ src, dest, distance: (entry.distance ?? entry.ranking) as number });
    }
  }
  const accounts = data.accounts === undefined || data.accounts === null ? undefined : array(data.accounts, "The import's accounts").map(importedAccount);
  return { rses, distances, accounts };
}
