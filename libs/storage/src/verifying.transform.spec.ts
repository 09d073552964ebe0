import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Mismatch, VerifyingTransform } from './verifying.transform.js';

class Failed extends Error {
  constructor(readonly mismatched: Mismatch[]) {
    super(mismatched.map((m) => m.what).join(','));
  }
}

async function run(data: Buffer[], verifier: VerifyingTransform): Promise<{ received: number; error?: unknown }> {
  let received = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      received += chunk.length;
      cb();
    },
  });
  const error = await pipeline(Readable.from(data), verifier, sink).then(() => undefined, (e: unknown) => e);
  return { received, error };
}

// adler32('hello') = 062c0215, md5('hello') = 5d41402abc4b2a76b9719d911017c592
const hello = [Buffer.from('hel'), Buffer.from('lo')];

describe('VerifyingTransform', () => {
  test('passes bytes through and computes what was asked', async () => {
    const verifier = new VerifyingTransform({ bytes: 5, checksums: { adler32: '62c0215' } }, ['md5'], (m) => new Failed(m));
    expect(await run(hello, verifier)).toEqual({ received: 5, error: undefined });
    expect(verifier.result).toEqual({ bytes: 5, adler32: '062c0215', md5: '5d41402abc4b2a76b9719d911017c592' });
  });

  test('a checksum mismatch fails the stream before it ends', async () => {
    const verifier = new VerifyingTransform({ checksums: { md5: '0'.repeat(32) } }, [], (m) => new Failed(m));
    const { error } = await run(hello, verifier);
    expect(error).toBeInstanceOf(Failed);
    expect((error as Failed).mismatched).toEqual([{ what: 'md5', expected: '0'.repeat(32), actual: '5d41402abc4b2a76b9719d911017c592' }]);
  });

  test('too many bytes fail as soon as they arrive; too few at the end', async () => {
    const long = await run([Buffer.alloc(3), Buffer.alloc(3), Buffer.alloc(3)], new VerifyingTransform({ bytes: 4 }, [], (m) => new Failed(m)));
    expect((long.error as Failed).mismatched[0]).toEqual({ what: 'size', expected: '4', actual: 'more than 4 bytes' });
    expect(long.received).toBeLessThanOrEqual(3);
    const short = await run(hello, new VerifyingTransform({ bytes: 6 }, [], (m) => new Failed(m)));
    expect((short.error as Failed).mismatched).toEqual([{ what: 'size', expected: '6', actual: '5' }]);
  });

  test('deferred: a checksum mismatch lets the stream end and is thrown by assertMatches()', async () => {
    const verifier = new VerifyingTransform({ checksums: { adler32: '00000001' } }, [], (m) => new Failed(m), true);
    expect((await run(hello, verifier)).error).toBeUndefined();
    expect(() => verifier.assertMatches()).toThrow(Failed);
    const short = await run(hello, new VerifyingTransform({ bytes: 6 }, [], (m) => new Failed(m), true));
    expect(short.error).toBeInstanceOf(Failed); // a declared size must still fail in the stream
  });
});
