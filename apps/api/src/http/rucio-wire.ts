import type { Response } from 'express';
import { streamRendered } from './stream-rendered.js';

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
 * Streams one JSON object per line from an async source (a database cursor), with back-pressure, so that a
 * listing of millions of rows never sits in memory.
 */
export function streamNdjson(res: Response, rows: AsyncIterable<unknown>): Promise<void> {
  return streamRendered(res, rows, { contentType: NDJSON_TYPE, render: (row) => `${JSON.stringify(row)}\n` });
}

/** The enum member name of a one-letter code (Rucio puts names on the wire: 'DATASET', 'OK', ...); an unknown code as is. */
export function codeName(values: Record<string, string>, code: string): string;
export function codeName(values: Record<string, string>, code: string | null | undefined): string | null;
export function codeName(values: Record<string, string>, code: string | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  return Object.keys(values).find((key) => values[key] === code) ?? code;
}
