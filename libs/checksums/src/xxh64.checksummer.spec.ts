import { loadXxhash, Xxh64Checksummer } from './xxh64.checksummer.js';

async function xxh64(...chunks: string[]): Promise<string> {
  const checksummer = await Xxh64Checksummer.create();
  for (const chunk of chunks) checksummer.update(Buffer.from(chunk));
  return checksummer.digest();
}

describe('Xxh64Checksummer', () => {
  it.each([
    ['', 'ef46db3751d8e999'],
    ['a', 'd24ec4f1a98c6e5b'],
    ['abc', '44bc2cf5ad770999'],
  ])('digests %j with seed 0 as %s', async (text, expected) => {
    expect(await xxh64(text)).toBe(expected);
  });

  it('pads to 16 digits', async () => {
    expect(await xxh64('tarn-53')).toBe('008a004abfe30c89');
  });

  it('agrees with the one-shot function of the library across chunks', async () => {
    const text = 'x'.repeat(1000) + 'y'.repeat(37);
    const { h64ToString } = await loadXxhash();
    expect(await xxh64(text.slice(0, 3), text.slice(3, 40), text.slice(40))).toBe(h64ToString(text));
  });

  it('keeps interleaved hashers apart although they share WebAssembly memory', async () => {
    const first = await Xxh64Checksummer.create();
    const second = await Xxh64Checksummer.create();
    first.update(Buffer.from('a'));
    second.update(Buffer.from('message '));
    first.update(Buffer.from('bc'));
    second.update(Buffer.from('digest'));
    const { h64ToString } = await loadXxhash();
    expect(first.digest()).toBe('44bc2cf5ad770999');
    expect(second.digest()).toBe(h64ToString('message digest'));
  });

  it('loads the WebAssembly module once', () => {
    expect(loadXxhash()).toBe(loadXxhash());
  });
});
