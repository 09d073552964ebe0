import type { Readable } from 'node:stream';

/** How an HTTP-TPC COPY ended, from the body the destination streams while it pulls. */
export interface TpcOutcome {
  ok: boolean;
  /** The server's last line: `success: Created`, or `failure: <why>`. */
  line: string;
  /** Bytes the last performance marker reported. */
  bytes?: number;
}

/**
 * Reads the body of an HTTP-TPC COPY (WLCG HTTP third-party copy): performance markers every few seconds
 * (`Perf Marker` ... `Stripe Bytes Transferred: n` ... `End`) and, at the end, one line `success: ...` or
 * `failure: ...`. A body that ends without either is a failure (the server or the connection went away).
 */
export async function readTpcOutcome(body: Readable, maxBytes = 1024 * 1024): Promise<TpcOutcome> {
  let text = '';
  let bytes: number | undefined;
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    for (const match of text.matchAll(/Stripe Bytes Transferred:\s*(\d+)/g)) bytes = Number(match[1]);
    if (text.length > maxBytes) text = text.slice(-4096); // markers only; the outcome is at the end
  }
  const last = text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  if (/^success:/i.test(last)) return { ok: true, line: last, ...(bytes !== undefined ? { bytes } : {}) };
  if (/^failure:/i.test(last)) return { ok: false, line: last, ...(bytes !== undefined ? { bytes } : {}) };
  return { ok: false, line: last ? `the copy ended without an outcome (last line: ${last.slice(0, 200)})` : 'the copy ended without an outcome' };
}

/** HTTP statuses that say a server does not take COPY with a Source header (rather than that this copy failed). */
export function refusesHttpTpc(status: number): boolean {
  return status === 400 || status === 405 || status === 501 || status === 415;
}
