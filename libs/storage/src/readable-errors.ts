import { PassThrough, Readable, Transform, pipeline } from 'node:stream';

/**
 * The stream handed to callers: `source`'s bytes, with any error of `source` replaced by `map(error)` (a
 * storage error naming the endpoint and path). Destroying the returned stream destroys `source`.
 */
export function withMappedErrors(source: Readable, map: (error: unknown) => Error, ...through: Transform[]): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const fail = (error: unknown) => {
    if (!out.destroyed) out.destroy(map(error));
  };
  let last: Readable = source;
  if (through.length > 0) {
    last = pipeline([source, ...through], (error) => error && fail(error)) as unknown as Readable;
  } else {
    source.once('error', fail);
  }
  last.pipe(out);
  out.once('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return out;
}

/** Drops the first `skip` bytes: for servers that answer a ranged GET with the whole file (200). */
export function skipBytes(skip: number): Transform {
  let remaining = skip;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (remaining >= chunk.byteLength) {
        remaining -= chunk.byteLength;
        return callback();
      }
      const rest = remaining > 0 ? chunk.subarray(remaining) : chunk;
      remaining = 0;
      callback(null, rest);
    },
  });
}
