import { BadRequestException } from '@nestjs/common';
import type { TransformFnParams } from 'class-transformer';

/** A 400 with the Rucio exception class the stock client raises. */
export function badRequest(exceptionClass: string, message: string): BadRequestException {
  return new BadRequestException({ exceptionClass, message });
}

/** A JSON value that must be an object (`subject` names it in the 400): none is an empty object, never an array or a scalar. */
export function jsonObject<T extends object>(value: unknown, subject: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('InvalidObject', `${subject} must be a JSON object, not ${Array.isArray(value) ? 'an array' : typeof value}.`);
  }
  return value as Partial<T>;
}

/** The JSON body as an object: the client may send none (an empty object then), never an array or a scalar. */
export function bodyObject<T extends object>(body: unknown, what: string): Partial<T> {
  return jsonObject<T>(body, `The body of ${what}`);
}

/** Refuses keys a route does not know, naming them, instead of silently ignoring a typo. */
export function assertKnownKeys(body: object, known: readonly string[], what: string, exceptionClass = 'InvalidObject'): void {
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw badRequest(
      exceptionClass,
      `${what}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `'${k}'`).join(', ')}. Known keys: ${known.join(', ')}.`,
    );
  }
}

/** Keeps only the defined, non-null values (Rucio clients send null for "not given"). */
export function given<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}

/** class-transformer: numeric text ("46.2", "7") to a number; anything else unchanged, for the validator to judge. */
export function numericText({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}

/** class-transformer: "true"/"false" in any case to a boolean; anything else unchanged. */
export function booleanText({ value }: TransformFnParams): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

/** Lists already in memory, streamed with the same NDJSON writer as cursor listings. */
export async function* rowsOf<T>(rows: Iterable<T>): AsyncIterable<T> {
  yield* rows;
}

/** Maps the rows of a (cursor) stream lazily; stopping early returns the source, which releases its cursor. */
export async function* mapRows<T, U>(rows: AsyncIterable<T>, map: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield map(row);
}
