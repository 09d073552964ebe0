import { BadRequestException } from '@nestjs/common';

/**
 * A date in a query parameter: RFC 1123 as Rucio writes dates ('Sun, 22 Nov 2026 04:20:00 UTC'), ISO 8601, or
 * Python's str(datetime) ('2026-11-12 10:00:00'); UTC unless it says otherwise.
 */
export function dateParameter(parameter: string, value: string): Date {
  const text = value.trim();
  let date = /^[A-Za-z]{3}, /.test(text) ? new Date(text.replace(/ UTC$/, ' GMT')) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    const iso = text.replace(' ', 'T');
    date = new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
  }
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    throw new BadRequestException({
      exceptionClass: 'InputValidationError',
      message: `${parameter} '${value}' is not a date: use ISO 8601 (2026-11-12T10:00:00) or RFC 1123 (Thu, 12 Nov 2026 10:00:00 UTC).`,
    });
  }
  return date;
}

export function wholeNumberParameter(parameter: string, value: string): number {
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new BadRequestException({ exceptionClass: 'InputValidationError', message: `${parameter} '${value}' is not a whole number.` });
  }
  return Number(value);
}

/** true/false (any case, or 1/0) in a query parameter. */
export function booleanParameter(parameter: string, value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new BadRequestException({ exceptionClass: 'InputValidationError', message: `${parameter} '${value}' is not true or false.` });
}
