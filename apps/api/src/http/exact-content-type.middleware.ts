import type { NextFunction, Request, Response } from 'express';

/**
 * Express appends `; charset=utf-8` to JSON answers, but the stock Rucio client compares Content-Type
 * literally and would then treat the body as text. JSON is UTF-8 by definition, so the parameter goes.
 */
export function exactContentType(_req: Request, res: Response, next: NextFunction): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() === 'content-type' && typeof value === 'string' && /^application\/(json|x-json-stream)\s*;/i.test(value)) {
      return setHeader(name, value.split(';')[0]);
    }
    return setHeader(name, value);
  }) as Response['setHeader'];
  next();
}
