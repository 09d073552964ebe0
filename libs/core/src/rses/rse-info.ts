import { RseAttributeValue, RseType } from '@tarn/domain';
import type { RseRecord } from '@tarn/catalogue/repositories/rse.repository.js';
import { PROTOCOL_DOMAINS, PROTOCOL_OPERATIONS } from './rse-protocol.mapping.js';
import type { RseProtocolView } from './rse.types.js';

export const DEFAULT_LFN2PFN_ALGORITHM = 'hash';

export interface RseInfoProtocol {
  hostname: string;
  scheme: string;
  port: number;
  prefix: string;
  impl: string;
  domains: RseProtocolView['domains'];
  extended_attributes: Record<string, unknown> | null;
}

/**
 * Rucio's RSE info (core/rse.py get_rse_protocols), which the stock client's rsemanager reads to upload
 * and download: key for key, snake_case, protocols sorted by hostname, scheme and port.
 */
export interface RseInfo {
  availability_delete: boolean;
  availability_read: boolean;
  availability_write: boolean;
  credentials: null;
  deterministic: boolean;
  domain: string[];
  id: string;
  lfn2pfn_algorithm: RseAttributeValue;
  protocols: RseInfoProtocol[];
  qos_class: string | null;
  rse: string;
  rse_type: RseType;
  sign_url: RseAttributeValue | null;
  staging_area: boolean;
  verify_checksum: RseAttributeValue;
  volatile: boolean;
  read_protocol: number;
  write_protocol: number;
  delete_protocol: number;
  third_party_copy_read_protocol: number;
  third_party_copy_write_protocol: number;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function rseInfo(rse: RseRecord, attributes: Record<string, RseAttributeValue>, protocols: RseProtocolView[]): RseInfo {
  const info = {
    availability_delete: rse.availabilityDelete,
    availability_read: rse.availabilityRead,
    availability_write: rse.availabilityWrite,
    credentials: null,
    deterministic: rse.deterministic,
    domain: [...PROTOCOL_DOMAINS],
    id: rse.id,
    lfn2pfn_algorithm: attributes.lfn2pfn_algorithm ?? DEFAULT_LFN2PFN_ALGORITHM,
    protocols: protocols
      .map((p) => ({
        hostname: p.hostname,
        scheme: p.scheme,
        port: p.port,
        prefix: p.prefix ?? '',
        impl: p.impl,
        domains: p.domains,
        extended_attributes: p.extendedAttributes,
      }))
      .sort((a, b) => byCodePoint(a.hostname, b.hostname) || byCodePoint(a.scheme, b.scheme) || a.port - b.port),
    qos_class: rse.qosClass,
    rse: rse.rse,
    rse_type: rse.rseType,
    sign_url: attributes.sign_url ?? null,
    staging_area: rse.staging,
    verify_checksum: attributes.verify_checksum ?? true,
    volatile: rse.volatile,
  } as Omit<RseInfo, `${(typeof PROTOCOL_OPERATIONS)[number]}_protocol`>;
  // Rucio sets <operation>_protocol = 1 ("the default protocol") for every operation.
  const defaults = Object.fromEntries(PROTOCOL_OPERATIONS.map((op) => [`${op}_protocol`, 1]));
  return { ...info, ...defaults } as RseInfo;
}
