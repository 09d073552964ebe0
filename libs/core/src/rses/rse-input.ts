import { InvalidInput, RseAttributeValue, rseNameProblem, RseType } from '@tarn/domain';
import type { RseFields, RseRecord } from '@tarn/catalogue/repositories/rse.repository.js';
import { QOS_ATTRIBUTE } from '@tarn/catalogue/repositories/rse-attribute.repository.js';
import type { AddRseInput, RseSummary, UpdateRseInput } from './rse.types.js';

function invalid(message: string, details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InvalidObject', details });
}

export function validRseName(rse: unknown): string {
  const problem = rseNameProblem(rse as string);
  if (problem) throw invalid(`Invalid RSE name ${JSON.stringify(rse)}: ${problem}.`, { rse });
  return rse as string;
}

const TEXT_LIMITS = { city: 255, regionCode: 8, countryName: 255, continent: 8, timeZone: 255 } as const;
const BOOLEANS = ['deterministic', 'volatile', 'staging', 'availabilityRead', 'availabilityWrite', 'availabilityDelete'] as const;

/** Checks and normalises RSE properties (for creation or update) into column values. */
export function rseFields(rse: string, input: UpdateRseInput): RseFields {
  const fields: RseFields = {};
  if (input.rse !== undefined) fields.rse = validRseName(input.rse);
  if (input.rseType !== undefined) {
    const type = String(input.rseType).toUpperCase();
    if (type !== RseType.DISK && type !== RseType.TAPE) {
      throw invalid(`RSE '${rse}': rse_type is DISK or TAPE, not ${JSON.stringify(input.rseType)}.`, { rse });
    }
    fields.rseType = type as RseType;
  }
  for (const key of BOOLEANS) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalid(`RSE '${rse}': ${key} is true or false, not ${JSON.stringify(value)}.`, { rse });
    fields[key] = value;
  }
  if (input.availability !== undefined) {
    const bits = input.availability;
    if (!Number.isInteger(bits) || bits < 0 || bits > 7) {
      throw invalid(`RSE '${rse}': availability is a number from 0 to 7 (read 4 + write 2 + delete 1), not ${JSON.stringify(bits)}.`, { rse });
    }
    fields.availabilityRead = (bits & 4) !== 0;
    fields.availabilityWrite = (bits & 2) !== 0;
    fields.availabilityDelete = (bits & 1) !== 0;
  }
  if (input.qosClass !== undefined) fields.qosClass = qosClass(rse, input.qosClass);
  for (const [key, max] of Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][]) {
    const value = input[key];
    if (value === undefined) continue;
    if (value !== null && (typeof value !== 'string' || value.length > max)) {
      throw invalid(`RSE '${rse}': ${key} is a text of at most ${max} characters, not ${JSON.stringify(value)}.`, { rse });
    }
    fields[key] = value;
  }
  for (const [key, bound] of [['longitude', 180], ['latitude', 90]] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > bound)) {
      throw invalid(`RSE '${rse}': ${key} is a number from -${bound} to ${bound}, not ${JSON.stringify(value)}.`, { rse });
    }
    fields[key] = value;
  }
  return fields;
}

/** Rucio clears the QoS class with '', 'none' or 'null'. */
function qosClass(rse: string, value: string | null): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > 64) {
    throw invalid(`RSE '${rse}': qos_class is a text of at most 64 characters, not ${JSON.stringify(value)}.`, { rse });
  }
  return ['', 'none', 'null'].includes(value.toLowerCase()) ? null : value;
}

export function addRseFields(input: AddRseInput): RseFields & { rse: string } {
  const rse = validRseName(input?.rse);
  return { ...rseFields(rse, input), rse };
}

const ATTRIBUTE_KEY = /^[A-Za-z0-9._-]{1,255}$/;

export function validAttribute(rse: string, key: unknown, value: unknown): [string, RseAttributeValue] {
  if (typeof key !== 'string' || !ATTRIBUTE_KEY.test(key)) {
    throw invalid(
      `RSE '${rse}': attribute key ${JSON.stringify(key)} is invalid: use 1 to 255 letters, digits, '.', '_' or '-' (what RSE expressions can name).`,
      { rse, key },
    );
  }
  const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  if (!ok) {
    throw new InvalidInput(`RSE '${rse}': attribute ${key} must be a string, a number or true/false, not ${JSON.stringify(value)}.`, {
      rucioClass: 'InvalidValueForKey',
      details: { rse, key },
    });
  }
  if (key === QOS_ATTRIBUTE && (typeof value !== 'string' || value.length === 0 || value.length > 64)) {
    throw new InvalidInput(`RSE '${rse}': ${QOS_ATTRIBUTE} is the RSE's QoS class, a text of 1 to 64 characters (e.g. SAFE), not ${JSON.stringify(value)}.`, {
      rucioClass: 'InvalidValueForKey',
      details: { rse, key },
    });
  }
  return [key, value as RseAttributeValue];
}

/** A byte or file count: a whole number from `min` (0 unless -1 is allowed to mean unlimited). */
export function validCount(what: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`${what} must be a whole number${min === 0 ? ' of at least 0' : ` of at least ${min}`}, not ${JSON.stringify(value)}.`);
  }
  return value;
}

export function validName(what: string, value: unknown, max = 255): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${what} must be a text of 1 to ${max} characters, not ${JSON.stringify(value)}.`);
  }
  return value;
}

export function availabilityOf(rse: Pick<RseRecord, 'availabilityRead' | 'availabilityWrite' | 'availabilityDelete'>): number {
  return (rse.availabilityRead ? 4 : 0) | (rse.availabilityWrite ? 2 : 0) | (rse.availabilityDelete ? 1 : 0);
}

export function rseSummary(record: RseRecord): RseSummary {
  const { deleted: _deleted, deletedAt: _deletedAt, ...summary } = record;
  return { ...summary, availability: availabilityOf(record) };
}

/** A QoS policy name: letters, digits, '_' and '-', at most 64 characters (SAFE, FAST, CHEAP-ANALYSIS...). */
export function validQosPolicy(policy: unknown): string {
  if (typeof policy !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(policy)) {
    throw new InvalidInput(`Invalid QoS policy ${JSON.stringify(policy)}: use letters, digits, '_' and '-' (at most 64), e.g. SAFE.`, {
      rucioClass: 'InputValidationError',
      details: { policy },
    });
  }
  return policy;
}
