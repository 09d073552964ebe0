import { type ArgumentMetadata, BadRequestException, type PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => `${field}: ${text}`);
    return [...own, ...describe(error.children ?? [], field)];
  });
}

/** DTO validation: a 400 (InvalidObject) whose message names every offending field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: false,
    forbidUnknownValues: false,
    exceptionFactory: (errors) => new BadRequestException(`Invalid request: ${describe(errors).join('; ')}`),
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
