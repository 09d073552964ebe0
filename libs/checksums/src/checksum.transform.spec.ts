import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumAlgorithm } from './checksum-algorithm.js';
import { checksumStream } from './checksum-stream.js';
import { ChecksumTransform } from './checksum.transform.js';
import { pseudoRandomBytes, seededSizes, splitBy } from './testing/chunks.js';

function collector(): { sink: Writable; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, received: () => Buffer.concat(chunks) };
}

describe('ChecksumTransform', () => {
  const data = pseudoRandomBytes(200_000, 4);
  const chunks = () => splitBy(data, seededSizes(4, 1, 9000));

  it('passes the bytes through unchanged and checksums them in the same pass', async () => {
    const transform = new ChecksumTransform(['adler32', 'md5', 'xxh64']);
    const { sink, received } = collector();
    await pipeline(Readable.from(chunks()), transform, sink);

    expect(received().equals(data)).toBe(true);
    expect(transform.checksums).toEqual(
      await checksumStream(Readable.from([data]), ['adler32', 'md5', 'xxh64']),
    );
    expect(transform.checksums.md5).toBe(createHash('md5').update(data).digest('hex'));
  });

  it('has the checksums when it emits finish, and not before', async () => {
    const transform = new ChecksumTransform(['md5']);
    transform.resume();
    transform.write(Buffer.from('message '));
    expect(() => transform.checksums).toThrow(/only available after the stream has finished/);
    transform.end(Buffer.from('digest'));
    await once(transform, 'finish');
    expect(transform.checksums).toEqual({ md5: 'f96b697d7cb7938d525a2f31aaf161d0', bytes: 14 });
  });

  it('checksums an empty stream', async () => {
    const transform = new ChecksumTransform(['adler32', 'xxh64']);
    await pipeline(Readable.from([]), transform, collector().sink);
    expect(transform.checksums).toEqual({ adler32: '00000001', xxh64: 'ef46db3751d8e999', bytes: 0 });
  });

  it('refuses an unknown algorithm when constructed', () => {
    expect(() => new ChecksumTransform(['sha1' as ChecksumAlgorithm])).toThrow(/Unknown checksum algorithm/);
  });
});
