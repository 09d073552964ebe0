import { type ArgumentMetadata, BadRequestException, type PipeTransform, ValidationPipe } from '@nestjs/common';
import { describeErrors, invalidBody, VALIDATION_CHUNK, validateObject } from './body-validation.js';

const hasLongList = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).some((v) => Array.isArray(v) && v.length > VALIDATION_CHUNK);

/**
 * DTO validation: a 400 (InvalidObject) whose message names every offending field. A body with long lists (bulk
 * requests) is validated a chunk of items at a time, so that it does not hold the event loop.
 */
class DtoValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (metadata.type === 'body' && typeof metatype === 'function' && metatype !== Object && hasLongList(value)) {
      return validateObject(metatype as new () => object, value);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new DtoValidationPipe({
    transform: true,
    whitelist: false,
    forbidUnknownValues: false,
    exceptionFactory: (errors) => invalidBody(describeErrors(errors).join('; ')),
  });
}

/**
 * A query parameter taken as one value (`@Query('limit') limit: string`) arrives as a list when it is given twice, or
 * as an object (`a[b]=1`): a 400 that names it, instead of a route failing on it.
 */
export class OneTextParameterPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if ((metadata.type === 'query' || metadata.type === 'param') && metadata.data && metadata.metatype !== Array && value !== undefined && typeof value !== 'string') {
      throw new BadRequestException({ exceptionClass: 'InputValidationError', message: `Give the ${metadata.type === 'query' ? 'query ' : ''}parameter ${metadata.data} once, as text.` });
    }
    return value;
  }
}
