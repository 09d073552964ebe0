import { parseDigestHeader } from './webdav-digest.js';

describe('RFC 3230 Digest header', () => {
  test('reads adler32 (hex) and md5 (base64) as lowercase hex', () => {
    // md5('hello') = 5d41402abc4b2a76b9719d911017c592
    expect(parseDigestHeader('adler32=062C0215, md5=XUFAKrxLKna5cZ2REBfFkg==')).toEqual({
      adler32: '062c0215',
      md5: '5d41402abc4b2a76b9719d911017c592',
    });
  });

  test('pads short adler32, accepts upper-case names and hex md5, ignores the rest', () => {
    expect(parseDigestHeader('ADLER32=e60398,SHA=abc, MD5=5D41402ABC4B2A76B9719D911017C592, UNIXcksum=1')).toEqual({
      adler32: '00e60398',
      md5: '5d41402abc4b2a76b9719d911017c592',
    });
  });

  test('nothing from a missing or malformed header', () => {
    expect(parseDigestHeader(undefined)).toEqual({});
    expect(parseDigestHeader('adler32=not-hex, md5=%%%')).toEqual({});
    expect(parseDigestHeader('md5=AAAA')).toEqual({}); // base64, but not 16 bytes
  });
});
