import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { Request } from 'express';
import getRawBody from 'raw-body';
import { unreadableText } from './readable-text.js';
import { type BodyLimits, bodyTooLarge, REQUEST_LIMITS, tooManyItems } from './request-limits.js';

const invalid = (message: string) => new BadRequestException({ exceptionClass: 'InvalidObject', message });

/** Where in the body a value is, for messages: `files[3].meta.run`. */
function at(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : /^[A-Za-z_]\w*$/.test(key) ? `${text}.${key}` : `${text}[${JSON.stringify(key)}]`), 'body');
}

/**
 * Refuses a parsed body nested deeper, or with longer lists, than REQUEST_LIMITS allows, or with text that cannot be
 * stored (NUL, unpaired surrogates). One quick pass over every value; only when it finds something does a second,
 * slower pass find where, to name it.
 */
function checkJson(root: unknown, route: string, listItems: number): void {
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  let problem = false;
  while (stack.length > 0 && !problem) {
    const value = stack.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      problem = unreadableText(value) !== null;
    } else if (value !== null && typeof value === 'object') {
      if (depth >= REQUEST_LIMITS.depth) problem = true;
      else if (Array.isArray(value)) {
        if (value.length > listItems) problem = true;
        for (const item of value) {
          stack.push(item);
          depths.push(depth + 1);
        }
      } else {
        for (const key of Object.keys(value)) {
          if (unreadableText(key) !== null) problem = true;
          stack.push((value as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    }
  }
  if (problem) describeProblem(root, route, [], listItems);
}

function describeProblem(value: unknown, route: string, path: (string | number)[], listItems: number): void {
  if (typeof value === 'string') {
    const why = unreadableText(value);
    if (why) throw invalid(`${at(path)} of the body of ${route} contains ${why}: send text without it.`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (path.length >= REQUEST_LIMITS.depth) {
    throw invalid(`The body of ${route} is nested deeper than ${REQUEST_LIMITS.depth} levels (at ${at(path)}); Tarn takes no deeper JSON.`);
  }
  if (Array.isArray(value)) {
    if (value.length > listItems) throw tooManyItems(route, at(path), value.length, listItems);
    value.forEach((item, index) => describeProblem(item, route, [...path, index], listItems));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const why = unreadableText(key);
    if (why) throw invalid(`A key in ${at(path)} of the body of ${route} contains ${why}: send keys without it.`);
    describeProblem(item, route, [...path, key], listItems);
  }
}

/**
 * The body of a request as JSON, whatever its Content-Type (the stock Rucio client sends none), read only for routes
 * that take one, after the token was checked: strict UTF-8, within `limits`, checked by checkJson. A request
 * without a body gives undefined, an empty body {}.
 */
export async function readJsonBody(req: Request, route: string, limits: BodyLimits): Promise<unknown> {
  const limit = limits.bytes;
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  if (length !== undefined && Number(length) > limit) throw bodyTooLarge(route, limit, Number(length));
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    throw new HttpException({ exceptionClass: 'InvalidObject', message: `Tarn takes request bodies without Content-Encoding, not '${encoding}'.` }, HttpStatus.UNSUPPORTED_MEDIA_TYPE);
  }
  let raw: Buffer;
  try {
    raw = await getRawBody(req, { limit, length });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw bodyTooLarge(route, limit);
    throw invalid(`The body of ${route} could not be read (${(error as Error).message}).`);
  }
  if (raw.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw invalid(`The body of ${route} is not valid UTF-8: send JSON encoded as UTF-8.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  checkJson(value, route, limits.listItems);
  return value;
}
