import { InvalidInput } from '@tarn/domain';
import type { RseProtocolPriorities, RseProtocolRecord } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import type { RseProtocolDomains, RseProtocolInput, RseProtocolView, UpdateRseProtocolInput } from './rse.types.js';

export const PROTOCOL_DOMAINS = ['lan', 'wan'] as const;
export const PROTOCOL_OPERATIONS = ['read', 'write', 'delete', 'third_party_copy_read', 'third_party_copy_write'] as const;
export type ProtocolDomain = (typeof PROTOCOL_DOMAINS)[number];
export type ProtocolOperation = (typeof PROTOCOL_OPERATIONS)[number];

function invalid(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InvalidObject', details });
}

/** The priority column(s) an operation of a domain sets; third-party copy has no domain of its own, as in Rucio. */
function columnsOf(domain: ProtocolDomain, operation: string): (keyof RseProtocolPriorities)[] | undefined {
  switch (operation) {
    case 'read':
      return [domain === 'lan' ? 'readLan' : 'readWan'];
    case 'write':
      return [domain === 'lan' ? 'writeLan' : 'writeWan'];
    case 'delete':
      return [domain === 'lan' ? 'deleteLan' : 'deleteWan'];
    case 'third_party_copy_read':
      return ['thirdPartyCopyRead'];
    case 'third_party_copy_write':
      return ['thirdPartyCopyWrite'];
    case 'third_party_copy':
      return ['thirdPartyCopyRead', 'thirdPartyCopyWrite'];
    default:
      return undefined;
  }
}

/** Priority columns from Rucio's nested `domains`; null counts as 0 (not offered). */
export function priorityColumns(rse: string, domains: RseProtocolDomains): Partial<RseProtocolPriorities> {
  if (typeof domains !== 'object' || domains === null) throw invalid(`RSE '${rse}': protocol domains must be an object like {"wan": {"read": 1}}.`, { rse });
  const columns: Partial<RseProtocolPriorities> = {};
  for (const [domain, operations] of Object.entries(domains)) {
    if (!(PROTOCOL_DOMAINS as readonly string[]).includes(domain)) {
      throw invalid(`RSE '${rse}': the protocol domain '${domain}' is not defined; use ${PROTOCOL_DOMAINS.join(' or ')}.`, { rse, domain });
    }
    for (const [operation, priority] of Object.entries((operations ?? {}) as Record<string, number | null>)) {
      const targets = columnsOf(domain as ProtocolDomain, operation);
      if (!targets) {
        throw invalid(`RSE '${rse}': protocol operation '${operation}' is not defined; use ${PROTOCOL_OPERATIONS.join(', ')}.`, { rse, operation });
      }
      const value = priority ?? 0;
      if (!Number.isInteger(value) || value < 0) {
        throw invalid(
          `RSE '${rse}': the priority ${JSON.stringify(priority)} for '${operation}' in domain '${domain}' is not supported: use 0 (not offered) or 1, 2, ... (1 preferred).`,
          { rse, domain, operation },
        );
      }
      for (const column of targets) columns[column] = value;
    }
  }
  return columns;
}

function text(rse: string, what: string, value: unknown, max: number, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.length > max) {
    throw invalid(`RSE '${rse}': protocol ${what} must be a text of ${allowEmpty ? 0 : 1} to ${max} characters, not ${JSON.stringify(value)}.`, { rse });
  }
  return value;
}

function port(rse: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw invalid(`RSE '${rse}': protocol port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}.`, { rse });
  }
  return value;
}

function extendedAttributes(rse: string, value: unknown): Record<string, unknown> | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`RSE '${rse}': protocol extended_attributes must be an object or null.`, { rse });
  }
  return value as Record<string, unknown>;
}

/** Checked column values of the given protocol fields (only those present). */
export function protocolChanges(rse: string, input: UpdateRseProtocolInput): Partial<Omit<RseProtocolRecord, 'rseId'>> {
  const changes: Partial<Omit<RseProtocolRecord, 'rseId'>> = {};
  if (input.scheme !== undefined) changes.scheme = text(rse, 'scheme', input.scheme, 255);
  if (input.hostname !== undefined) changes.hostname = text(rse, 'hostname', input.hostname, 255);
  if (input.port !== undefined) changes.port = port(rse, input.port);
  if (input.prefix !== undefined) changes.prefix = text(rse, 'prefix', input.prefix ?? '', 1024, true);
  if (input.impl !== undefined) changes.impl = text(rse, 'impl', input.impl, 255);
  if (input.extendedAttributes !== undefined) changes.extendedAttributes = extendedAttributes(rse, input.extendedAttributes);
  if (input.domains !== undefined) Object.assign(changes, priorityColumns(rse, input.domains));
  return changes;
}

/** A complete new protocol row, with Rucio's defaults (hostname 'localhost', port 0, priorities 0). */
export function newProtocol(rse: string, rseId: string, input: RseProtocolInput): RseProtocolRecord {
  if (typeof input !== 'object' || input === null) throw invalid(`RSE '${rse}': a protocol needs at least scheme and impl.`, { rse });
  const changes = protocolChanges(rse, { ...input, hostname: input.hostname ?? 'localhost', port: input.port ?? 0, prefix: input.prefix ?? '' });
  if (changes.scheme === undefined) throw invalid(`RSE '${rse}': a protocol needs a scheme (e.g. 'https', 'root', 'file').`, { rse });
  if (changes.impl === undefined) {
    throw invalid(`RSE '${rse}': protocol ${changes.scheme} needs impl, the client's implementation (e.g. 'rucio.rse.protocols.posix.Default').`, { rse });
  }
  if (changes.scheme === 'srm' && typeof changes.extendedAttributes?.web_service_path !== 'string') {
    throw invalid(`RSE '${rse}': an srm protocol needs extended_attributes with web_service_path.`, { rse });
  }
  return {
    rseId,
    scheme: changes.scheme,
    hostname: changes.hostname!,
    port: changes.port!,
    prefix: changes.prefix ?? '',
    impl: changes.impl,
    readLan: 0,
    writeLan: 0,
    deleteLan: 0,
    readWan: 0,
    writeWan: 0,
    deleteWan: 0,
    thirdPartyCopyRead: 0,
    thirdPartyCopyWrite: 0,
    ...changes,
    extendedAttributes: changes.extendedAttributes ?? null,
  };
}

export function protocolView(record: RseProtocolRecord): RseProtocolView {
  return {
    scheme: record.scheme,
    hostname: record.hostname,
    port: record.port,
    prefix: record.prefix ?? '',
    impl: record.impl,
    domains: {
      lan: { read: record.readLan, write: record.writeLan, delete: record.deleteLan },
      wan: {
        read: record.readWan,
        write: record.writeWan,
        delete: record.deleteWan,
        third_party_copy_read: record.thirdPartyCopyRead,
        third_party_copy_write: record.thirdPartyCopyWrite,
      },
    },
    extendedAttributes: record.extendedAttributes,
  };
}

/**
 * The protocols offering an operation in a domain, best first (lowest non-zero priority), as the
 * rsemanager's get_protocols_ordered picks them.
 */
export function protocolsFor<P extends { domains: RseProtocolView['domains'] }>(
  protocols: readonly P[],
  operation: ProtocolOperation,
  domain: ProtocolDomain = 'wan',
): P[] {
  const priority = (p: P): number => (p.domains[domain] as Record<string, number>)[operation] ?? 0;
  return protocols.filter((p) => priority(p) !== 0).sort((a, b) => priority(a) - priority(b));
}

/** Extended attributes that are credentials of the storage (S3 keys, WebDAV passwords, bearer tokens, client secrets). */
const CREDENTIAL_KEY = /secret|password|passwd|bearer|session_token|access_key|private_key|credential|^token$|client_key/i;

/**
 * A protocol as an account that is not an administrator sees it: credential attributes are left out (their names are
 * kept, with the value `<hidden>`), so that no account learns the keys to storage others write to. Tools of those
 * accounts bring their own credentials (TARN_S3_*, TARN_WEBDAV_*) or go through Tarn.
 */
export function withoutCredentials(protocol: RseProtocolView): RseProtocolView {
  const attributes = protocol.extendedAttributes;
  if (!attributes || !Object.keys(attributes).some((key) => CREDENTIAL_KEY.test(key))) return protocol;
  return {
    ...protocol,
    extendedAttributes: Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, CREDENTIAL_KEY.test(key) ? '<hidden>' : value])),
  };
}

/** The protocol as `issuer` may see it: whole for administrators, without credentials for anyone else. */
export function visibleProtocol(issuer: { admin: boolean }, protocol: RseProtocolView): RseProtocolView {
  return issuer.admin ? protocol : withoutCredentials(protocol);
}
