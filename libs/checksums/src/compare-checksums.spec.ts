import { compareChecksums } from './compare-checksums.js';

describe('compareChecksums', () => {
  const actual = { adler32: '00e60398', md5: '900150983cd24fb0d6963f7d28e17f72', xxh64: '44bc2cf5ad770999' };

  it('matches identical digests', () => {
    expect(compareChecksums(actual, actual)).toEqual({
      compared: ['adler32', 'md5', 'xxh64'],
      mismatched: [],
      matches: true,
    });
  });

  it('names the algorithms that differ', () => {
    const expected = { ...actual, md5: '900150983cd24fb0d6963f7d28e17f73', xxh64: '44bc2cf5ad770990' };
    expect(compareChecksums(expected, actual)).toMatchObject({ mismatched: ['md5', 'xxh64'], matches: false });
  });

  it('compares adler32 case-insensitively and without its leading zeros', () => {
    expect(compareChecksums({ adler32: 'E60398' }, { adler32: '00e60398' }).matches).toBe(true);
    expect(compareChecksums({ adler32: '00E60398' }, { adler32: '00e60398' }).matches).toBe(true);
    expect(compareChecksums({ adler32: 'e6039' }, { adler32: '00e60398' }).mismatched).toEqual(['adler32']);
  });

  it('compares only what both sides know', () => {
    expect(compareChecksums({ adler32: '00e60398', md5: null }, actual)).toEqual({
      compared: ['adler32'],
      mismatched: [],
      matches: true,
    });
  });

  it('does not call nothing in common a match', () => {
    expect(compareChecksums({ md5: '' }, { adler32: '00e60398' })).toEqual({
      compared: [],
      mismatched: [],
      matches: false,
    });
  });
});
