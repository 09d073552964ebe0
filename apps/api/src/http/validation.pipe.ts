import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

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
