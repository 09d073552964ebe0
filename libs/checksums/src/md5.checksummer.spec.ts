import { Md5Checksummer } from './md5.checksummer.js';

describe('Md5Checksummer', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ])('digests %j as the RFC 1321 value %s', (text, expected) => {
    const checksummer = new Md5Checksummer();
    checksummer.update(Buffer.from(text));
    expect(checksummer.digest()).toBe(expected);
  });

  it('gives the same digest fed in pieces', () => {
    const checksummer = new Md5Checksummer();
    for (const piece of ['mess', 'age', ' ', 'digest']) checksummer.update(Buffer.from(piece));
    expect(checksummer.digest()).toBe('f96b697d7cb7938d525a2f31aaf161d0');
  });
});
