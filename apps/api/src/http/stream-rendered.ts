import type { Response } from 'express';
import { YIELD_EVERY, yieldToEventLoop } from '@tarn/core/bounded.js';

/** Bytes gathered before one write: a 10,000-file listing leaves in a few dozen writes, not 10,000. */
const CHUNK = 64 * 1024;

function write(res: Response, chunk: string): Promise<void> | undefined {
  if (res.write(chunk)) return undefined;
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', closed);
      resolve();
    };
    const closed = () => {
      res.off('drain', done);
      reject(new Error('client closed the connection'));
    };
    res.on('drain', done);
    res.once('close', closed);
  });
}

export interface RenderedStream<T> {
  contentType: string;
  /** Written before the first item (and alone when there is none). */
  head?: string;
  tail?: string;
  /** The text of one item, or null to leave it out. */
  render(item: T): string | null;
}

/**
 * Streams items from a cursor as text, rendered synchronously and written in chunks with back-pressure: one
 * async step per row (the cursor's own), none in between. Errors before the first item are thrown (the exception
 * filter answers them); later ones can only cut the stream.
 */
export async function streamRendered<T>(res: Response, items: AsyncIterable<T>, how: RenderedStream<T>): Promise<void> {
  let started = false;
  let buffer = '';
  const start = () => {
    res.status(200).setHeader('Content-Type', how.contentType);
    started = true;
    buffer = how.head ?? '';
  };
  let rendered = 0;
  try {
    for await (const item of items) {
      // A cursor over rows already fetched steps by microtasks only: serve the event loop now and then.
      if (++rendered % YIELD_EVERY === 0) await yieldToEventLoop();
      const text = how.render(item);
      if (text === null) continue;
      if (!started) start();
      buffer += text;
      if (buffer.length >= CHUNK) {
        const chunk = buffer;
        buffer = '';
        await write(res, chunk);
      }
    }
  } catch (error) {
    if (!started) throw error;
    res.destroy(error as Error);
    return;
  }
  if (!started) start();
  res.end(buffer + (how.tail ?? ''));
}
