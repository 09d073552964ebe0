import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { unreadableText } from './readable-text.js';

function decoded(part: string, where: string): void {
  let text: string;
  try {
    text = decodeURIComponent(part);
  } catch {
    throw new BadRequestException({
      exceptionClass: 'InvalidObject',
      message: `The ${where} of the request is not valid percent-encoded UTF-8 near '${part.slice(0, 40)}': encode names as UTF-8.`,
    });
  }
  const why = unreadableText(text);
  if (why) throw new BadRequestException({ exceptionClass: 'InvalidObject', message: `The ${where} of the request contains ${why}: names and values may not.` });
}

/**
 * Refuses a URL whose path or query does not decode to readable text (invalid UTF-8, NUL), before any route sees it:
 * such bytes would otherwise reach PostgreSQL, which refuses them (a 500), or be silently replaced.
 */
export function readableUrl(req: Request, _res: Response, next: NextFunction): void {
  const queryAt = req.url.indexOf('?');
  const path = queryAt < 0 ? req.url : req.url.slice(0, queryAt);
  for (const segment of path.split('/')) decoded(segment, 'path');
  if (queryAt >= 0) for (const part of req.url.slice(queryAt + 1).split(/[&=]/)) decoded(part.replace(/\+/g, ' '), 'query');
  next();
}
