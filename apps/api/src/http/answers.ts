import { ApiResponse } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { NDJSON_TYPE } from './rucio-wire.js';

export type Schema = SchemaObject | ReferenceObject;

/**
 * A field of a wire shape: 'string', 'integer', 'number', 'boolean', 'object' (any JSON object), 'any', or 'date'
 * (RFC 1123 text, as Rucio writes dates); '?' allows null, '[]' makes a list. Or a full schema.
 */
export type Field = string | Schema;

function fieldSchema(field: Field): Schema {
  if (typeof field !== 'string') return field;
  const nullable = field.endsWith('?');
  const base = nullable ? field.slice(0, -1) : field;
  if (base.endsWith('[]')) return { type: 'array', items: fieldSchema(base.slice(0, -2)), ...(nullable ? { nullable: true } : {}) };
  const schema: SchemaObject =
    base === 'date'
      ? { type: 'string', description: "RFC 1123, e.g. 'Sun, 22 Nov 2026 04:20:00 UTC'" }
      : base === 'object'
        ? { type: 'object', additionalProperties: true }
        : base === 'any'
          ? {}
          : { type: base as SchemaObject['type'] };
  return nullable ? { ...schema, nullable: true } : schema;
}

/** An object schema whose fields are all present on the wire (null where '?'). */
export function shape(fields: Record<string, Field>, description?: string): SchemaObject {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties: Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldSchema(field)])),
    required: Object.keys(fields),
  };
}

/** `{<key>: value}` maps, e.g. limits by RSE. */
export const mapOf = (value: Field, description?: string): SchemaObject => ({
  type: 'object',
  additionalProperties: fieldSchema(value),
  ...(description ? { description } : {}),
});

export const listOf = (item: Field): SchemaObject => ({ type: 'array', items: fieldSchema(item) });

const NAMED = new Map<string, SchemaObject>();

/** A wire shape with a name in the document's components (one definition, referenced by every route that answers it). */
export function named(name: string, schema: SchemaObject): ReferenceObject {
  if (NAMED.has(name) && NAMED.get(name) !== schema) throw new Error(`Two different wire shapes are named '${name}'`);
  NAMED.set(name, schema);
  return { $ref: `#/components/schemas/${name}` };
}

export function namedSchemas(): Record<string, SchemaObject> {
  return Object.fromEntries(NAMED);
}

/** Rucio's error: the same two values are also in the ExceptionClass and ExceptionMessage headers. */
export const RUCIO_ERROR = named(
  'RucioError',
  shape(
    {
      ExceptionClass: { type: 'string', example: 'DataIdentifierNotFound', description: 'The Rucio exception class the stock client raises.' },
      ExceptionMessage: { type: 'string', description: 'What went wrong, on which DID, RSE or rule, and what to do.' },
    },
    'Every error answer.',
  ),
);

/**
 * What a route answers when it works, in the OpenAPI document (one of these on every route; errors are added to
 * every operation by setUpOpenApi).
 */
export const Answers = {
  json: (schema: Schema, description: string, status = 200) =>
    ApiResponse({ status, description, content: { 'application/json': { schema } } }),
  /** A listing streamed as one JSON value per line (application/x-json-stream); `item` is one line. */
  ndjson: (item: Schema, description: string) =>
    ApiResponse({ status: 200, description: `${description} One JSON value per line.`, content: { [NDJSON_TYPE]: { schema: item } } }),
  text: (description: string, status = 200, mediaType = 'text/plain') =>
    ApiResponse({ status, description, content: { [mediaType]: { schema: { type: 'string' } } } }),
  /** Rucio's 201 with the plain text 'Created'. */
  created: () =>
    ApiResponse({ status: 201, description: "Created: the body is the word 'Created'.", content: { 'text/html': { schema: { type: 'string', enum: ['Created'] } } } }),
  empty: (description = 'Done; the body is empty.', status = 200) => ApiResponse({ status, description }),
};
