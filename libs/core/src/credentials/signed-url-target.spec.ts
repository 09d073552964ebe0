import { hashPath, identityPath } from '@tarn/domain';
import { didsOfDeterministicPath, s3TargetOf, type SignableProtocol } from './signed-url-target.js';

const s3: SignableProtocol = { scheme: 's3+http', hostname: '127.0.0.1', port: 9000, prefix: '/bucket/data', extendedAttributes: null };
const dav: SignableProtocol = { scheme: 'davs', hostname: 'dav.example.org', port: 443, prefix: '/bucket/data', extendedAttributes: null };

describe('s3TargetOf', () => {
  it('finds the S3 protocol of a PFN or of the path-style URL, and the path below its prefix', () => {
    expect(s3TargetOf(new URL('s3+http://127.0.0.1:9000/bucket/data/user/jdoe/ab/cd/f%201'), [dav, s3])).toEqual({ protocol: s3, path: 'user/jdoe/ab/cd/f 1' });
    expect(s3TargetOf(new URL('http://127.0.0.1:9000/bucket/data/x'), [s3])?.path).toBe('x');
  });

  it('refuses other hosts, ports, schemes and paths outside the prefix', () => {
    expect(s3TargetOf(new URL('http://127.0.0.1:9001/bucket/data/x'), [s3])).toBeNull();
    expect(s3TargetOf(new URL('https://127.0.0.1:9000/bucket/data/x'), [s3])).toBeNull();
    expect(s3TargetOf(new URL('http://127.0.0.1:9000/bucket/other/x'), [s3])).toBeNull();
    expect(s3TargetOf(new URL('http://127.0.0.1:9000/bucket/data/'), [s3])).toBeNull();
    expect(s3TargetOf(new URL('davs://dav.example.org:443/bucket/data/x'), [dav])).toBeNull();
  });

  it('follows endpoint_url and a bucket given as attribute', () => {
    const custom: SignableProtocol = { scheme: 's3', hostname: 'ignored', port: 443, prefix: '/keys', extendedAttributes: { endpoint_url: 'http://minio:9000', bucket: 'b' } };
    expect(s3TargetOf(new URL('http://minio:9000/b/keys/x'), [custom])?.path).toBe('x');
    expect(s3TargetOf(new URL('s3://ignored:443/keys/x'), [custom])?.path).toBe('x');
  });
});

describe('didsOfDeterministicPath', () => {
  const scopes = ['user', 'user.jdoe', 'data18'];
  it('inverts the hash lfn2pfn, whatever the name', () => {
    expect(didsOfDeterministicPath(hashPath('user.jdoe', 'a/b.root'), 'hash', scopes)).toEqual([{ scope: 'user.jdoe', name: 'a/b.root' }]);
    expect(didsOfDeterministicPath(hashPath('data18', 'raw.1'), 'hash', scopes)).toEqual([{ scope: 'data18', name: 'raw.1' }]);
  });

  it('finds nothing for a path lfn2pfn does not make (wrong hash, unknown scope)', () => {
    expect(didsOfDeterministicPath('user/jdoe/00/00/raw.1', 'hash', scopes)).toEqual([]);
    expect(didsOfDeterministicPath(hashPath('mc23', 'x'), 'hash', scopes)).toEqual([]);
  });

  it('gives every scope an identity path could belong to', () => {
    expect(didsOfDeterministicPath(identityPath('user.jdoe', 'x'), 'identity', scopes)).toEqual([
      { scope: 'user', name: 'jdoe/x' },
      { scope: 'user.jdoe', name: 'x' },
    ]);
  });
});
