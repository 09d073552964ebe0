import type { AddRseInput, DistanceView, RseProtocolInput, RseProtocolView, RseSummary, RseUsageView, UpdateRseInput } from '@tarn/core';
import type { RseAttributeValue } from '@tarn/domain';
import { listOf, mapOf, named, shape } from '../http/answers.js';
import { rfc1123 } from '../http/rucio-wire.js';
import type { RsePropertiesDto, UpdateRseDto } from './rse.dto.js';
import type { RseProtocolDto } from './rse-protocol.dto.js';

/** An RSE as Rucio's list_rses answers it (the rses table row, snake_case). */
export function rseToWire(rse: RseSummary): Record<string, unknown> {
  return {
    id: rse.id,
    rse: rse.rse,
    vo: 'def',
    rse_type: rse.rseType,
    deterministic: rse.deterministic,
    volatile: rse.volatile,
    staging_area: rse.staging,
    qos_class: rse.qosClass,
    city: rse.city,
    region_code: rse.regionCode,
    country_name: rse.countryName,
    continent: rse.continent,
    time_zone: rse.timeZone,
    ISP: null,
    ASN: null,
    longitude: rse.longitude,
    latitude: rse.latitude,
    availability: rse.availability,
    availability_read: rse.availabilityRead,
    availability_write: rse.availabilityWrite,
    availability_delete: rse.availabilityDelete,
    deleted: false,
    deleted_at: null,
    created_at: rfc1123(rse.createdAt),
    updated_at: rfc1123(rse.updatedAt),
  };
}

/** Rucio's property names to Tarn's; null means "not given" (Rucio's defaults), except for qos_class and texts on update. */
function rseProperties(body: RsePropertiesDto, keepNullTexts: boolean): UpdateRseInput {
  const input: UpdateRseInput = {};
  const flags = {
    deterministic: body.deterministic,
    volatile: body.volatile,
    staging: body.staging_area,
    availabilityRead: body.availability_read,
    availabilityWrite: body.availability_write,
    availabilityDelete: body.availability_delete,
  } as const;
  for (const [key, value] of Object.entries(flags) as [keyof typeof flags, boolean | null | undefined][]) {
    if (value !== undefined && value !== null) input[key] = value;
  }
  if (body.rse_type !== undefined && body.rse_type !== null) input.rseType = body.rse_type as AddRseInput['rseType'];
  if (body.availability !== undefined && body.availability !== null) input.availability = body.availability;
  if (body.qos_class !== undefined) input.qosClass = body.qos_class;
  const texts = { city: body.city, regionCode: body.region_code, countryName: body.country_name, continent: body.continent, timeZone: body.time_zone } as const;
  for (const [key, value] of Object.entries(texts) as [keyof typeof texts, string | null | undefined][]) {
    if (value === undefined || (value === null && !keepNullTexts)) continue;
    input[key] = value;
  }
  for (const key of ['latitude', 'longitude'] as const) {
    const value = body[key];
    if (value === undefined || (value === null && !keepNullTexts)) continue;
    input[key] = value;
  }
  return input;
}

export function addRseInput(rse: string, body: RsePropertiesDto): AddRseInput {
  return { ...rseProperties(body, false), rse };
}

export function updateRseInput(body: UpdateRseDto): UpdateRseInput {
  const input = rseProperties(body, true);
  if (body.name !== undefined && body.name !== null) input.rse = body.name;
  return input;
}

/** Rucio's attribute values are kept as text with "True"/"False" read back as booleans. */
export function attributeValue(value: unknown): RseAttributeValue {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return value as RseAttributeValue;
}

/** A protocol as Rucio lists it (snake_case `extended_attributes`). */
export function protocolToWire(protocol: RseProtocolView): Record<string, unknown> {
  return {
    scheme: protocol.scheme,
    hostname: protocol.hostname,
    port: protocol.port,
    prefix: protocol.prefix,
    impl: protocol.impl,
    domains: protocol.domains,
    extended_attributes: protocol.extendedAttributes,
  };
}

export function protocolInput(body: RseProtocolDto): Partial<RseProtocolInput> {
  const input: Partial<RseProtocolInput> = {};
  if (body.scheme !== undefined && body.scheme !== null) input.scheme = body.scheme;
  if (body.hostname !== undefined && body.hostname !== null) input.hostname = body.hostname;
  if (body.port !== undefined && body.port !== null) input.port = body.port;
  if (body.prefix !== undefined) input.prefix = body.prefix ?? '';
  if (body.impl !== undefined && body.impl !== null) input.impl = body.impl;
  if (body.domains !== undefined && body.domains !== null) input.domains = body.domains as RseProtocolInput['domains'];
  if (body.extended_attributes !== undefined) input.extendedAttributes = body.extended_attributes;
  return input;
}

export function usageToWire(usage: RseUsageView): Record<string, unknown> {
  return {
    rse_id: usage.rseId,
    rse: usage.rse,
    source: usage.source,
    used: usage.used,
    free: usage.free,
    total: usage.total,
    files: usage.files,
    updated_at: rfc1123(usage.updatedAt),
  };
}

/** A distance as Rucio's get_distance answers it; `ranking` repeats `distance` for older clients. */
export function distanceToWire(distance: DistanceView): Record<string, unknown> {
  return {
    src_rse_id: distance.srcRseId,
    src_rse: distance.srcRse,
    dest_rse_id: distance.destRseId,
    dest_rse: distance.destRse,
    distance: distance.distance,
    ranking: distance.distance,
    updated_at: rfc1123(distance.updatedAt),
  };
}

export const RSE_LINE = named(
  'Rse',
  shape({
    id: 'string', rse: 'string', vo: 'string', rse_type: 'string', deterministic: 'boolean', volatile: 'boolean', staging_area: 'boolean',
    qos_class: 'string?', city: 'string?', region_code: 'string?', country_name: 'string?', continent: 'string?', time_zone: 'string?',
    ISP: 'string?', ASN: 'string?', longitude: 'number?', latitude: 'number?', availability: 'integer', availability_read: 'boolean',
    availability_write: 'boolean', availability_delete: 'boolean', deleted: 'boolean', deleted_at: 'date?', created_at: 'date', updated_at: 'date',
  }),
);

export const PROTOCOL_ANSWER = named(
  'RseProtocol',
  shape({
    scheme: 'string', hostname: 'string', port: 'integer', prefix: 'string?', impl: 'string',
    domains: mapOf(mapOf('integer'), 'Priorities per domain (lan, wan) and operation (read, write, delete, third_party_copy_read, ...); 0: not offered.'),
    extended_attributes: 'object?',
  }),
);

export const RSE_INFO_ANSWER = named('RseInfo', {
  type: 'object',
  description: "Rucio's get_rse_protocols: the RSE's settings and protocols, as the stock client uploads and downloads with them.",
  properties: { rse: { type: 'string' }, id: { type: 'string' }, deterministic: { type: 'boolean' }, lfn2pfn_algorithm: { type: 'string' }, protocols: listOf(PROTOCOL_ANSWER) },
  required: ['rse', 'id', 'deterministic', 'protocols'],
  additionalProperties: true,
});

export const RSE_USAGE_LINE = named(
  'RseUsage',
  shape({ rse_id: 'string', rse: 'string', source: 'string', used: 'integer', free: 'integer?', total: 'integer?', files: 'integer?', updated_at: 'date' }),
);

export const DISTANCE_ANSWER = named(
  'RseDistance',
  shape({ src_rse_id: 'string', src_rse: 'string', dest_rse_id: 'string', dest_rse: 'string', distance: 'integer', ranking: 'integer', updated_at: 'date' }),
);
