import type { Response } from 'express';

/**
 * The stock Rucio client compares Content-Type literally ('application/json', 'application/x-json-stream'),
 * so these never carry a charset parameter.
 */
export const JSON_TYPE = 'application/json';
export const NDJSON_TYPE = 'application/x-json-stream';

/** Rucio's dates: RFC 1123, e.g. `Sun, 22 Nov 2026 04:20:00 UTC`. */
export function rfc1123(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  return new Date(date).toUTCString().replace('GMT', 'UTC');
}

export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.status(status).setHeader('Content-Type', JSON_TYPE);
  res.end(text);
}

/**
 * Streams one JSON object per line from an async source (a database cursor), honouring back-pressure so that
 * a listing of millions of rows never sits in memory. Errors after the first line can only end the stream.
 */
export async function streamNdjson(res: Response, rows: AsyncIterable<unknown>): Promise<void> {
  let started = false;
  try {
    for await (const row of rows) {
      if (!started) {
        res.status(200).setHeader('Content-Type', NDJSON_TYPE);
        started = true;
      }
      if (!res.write(`${JSON.stringify(row)}\n`)) {
        await new Promise<void>((resolve, reject) => {
          res.once('drain', resolve);
          res.once('close', () => reject(new Error('client closed the connection')));
        });
      }
    }
  } catch (error) {
    if (!started) throw error;
    res.destroy(error as Error);
    return;
  }
  if (!started) res.status(200).setHeader('Content-Type', NDJSON_TYPE);
  res.end();
}
