import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { YIELD_EVERY, yieldToEventLoop } from '@tarn/core/bounded.js';

/**
 * List items validated at once: class-validator takes tens of µs per item and cannot yield, so the items of a bulk
 * request (up to 10,000) are validated a chunk at a time, the event loop served between chunks.
 */
export const VALIDATION_CHUNK = YIELD_EVERY;

export function describeErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => `${field}: ${text}`);
    return [...own, ...describeErrors(error.children ?? [], field)];
  });
}

/** The 400 of an invalid body: InvalidObject, naming every offending field (`dids.3.name: name must be a string`). */
export function invalidBody(message: string): BadRequestException {
  return new BadRequestException({ exceptionClass: 'InvalidObject', message: `Invalid request: ${message}` });
}

/** Errors of a chunk of list `key` that starts at `offset`, renumbered as in the whole list. */
function renumber(errors: ValidationError[], key: string, offset: number): ValidationError[] {
  for (const error of errors) {
    if (error.property !== key) continue;
    for (const child of error.children ?? []) child.property = String(Number(child.property) + offset);
  }
  return errors;
}

async function instanceOf<T extends object>(cls: new () => T, plain: object, field: string, shift?: { key: string; offset: number }): Promise<T> {
  const instance = plainToInstance(cls, plain);
  const errors = await validate(instance, { forbidUnknownValues: false });
  if (errors.length > 0) throw invalidBody(describeErrors(shift ? renumber(errors, shift.key, shift.offset) : errors, field).join('; '));
  return instance;
}

/**
 * A body as an instance of its DTO class, validated; lists longer than VALIDATION_CHUNK among its fields are validated
 * a chunk at a time (the other fields with each chunk). Constraints on a whole list (@ArrayMaxSize) see one chunk:
 * the length of every list is bounded when the body is read (REQUEST_LIMITS.listItems, @BulkBody).
 */
export async function validateObject<T extends object>(cls: new () => T, body: unknown, field = ''): Promise<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidBody(`${field || 'the body'} must be a JSON object.`);
  const plain = body as Record<string, unknown>;
  const long = Object.keys(plain).filter((key) => Array.isArray(plain[key]) && (plain[key] as unknown[]).length > VALIDATION_CHUNK);
  if (long.length === 0) return instanceOf(cls, plain, field);
  const first = { ...plain };
  for (const key of long) first[key] = (plain[key] as unknown[]).slice(0, VALIDATION_CHUNK);
  const instance = await instanceOf(cls, first, field);
  for (const key of long) {
    const whole = plain[key] as unknown[];
    const parts = [(instance as Record<string, unknown>)[key] as unknown[]];
    for (let offset = VALIDATION_CHUNK; offset < whole.length; offset += VALIDATION_CHUNK) {
      await yieldToEventLoop();
      const part = await instanceOf(cls, { ...first, [key]: whole.slice(offset, offset + VALIDATION_CHUNK) }, field, { key, offset });
      parts.push((part as Record<string, unknown>)[key] as unknown[]);
    }
    (instance as Record<string, unknown>)[key] = parts.flat();
  }
  return instance;
}

/** A body that is a list of DTOs, validated item by item, a chunk at a time. */
export async function validateList<T extends object>(cls: new () => T, body: unknown, field: string): Promise<T[]> {
  if (!Array.isArray(body)) throw invalidBody(`${field} must be a JSON list.`);
  const items: T[] = [];
  for (const [index, item] of body.entries()) {
    if (index > 0 && index % VALIDATION_CHUNK === 0) await yieldToEventLoop();
    items.push(await validateObject(cls, item, `${field}[${index}]`));
  }
  return items;
}
