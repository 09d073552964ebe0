import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

function describe(errors: ValidationError[], parent: string): string[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => `${field}: ${text}`);
    return [...own, ...describe(error.children ?? [], field)];
  });
}

function invalid(message: string): BadRequestException {
  return new BadRequestException({ exceptionClass: 'InvalidObject', message: `Invalid request: ${message}` });
}

/**
 * Validates a body against a DTO class where the global pipe cannot (bodies that may be a list or an object,
 * lists of DTOs): a 400 InvalidObject naming every offending field, e.g. `files[3].bytes: bytes must be an integer`.
 */
export function validateBody<T extends object>(cls: new () => T, body: unknown, field = 'body'): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid(`${field} must be a JSON object.`);
  const instance = plainToInstance(cls, body);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  if (errors.length > 0) throw invalid(describe(errors, field === 'body' ? '' : field).join('; '));
  return instance;
}

export function validateList<T extends object>(cls: new () => T, body: unknown, field: string): T[] {
  if (!Array.isArray(body)) throw invalid(`${field} must be a JSON list.`);
  return body.map((item, index) => validateBody(cls, item, `${field}[${index}]`));
}
