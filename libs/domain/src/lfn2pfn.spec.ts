import { createHash } from 'node:crypto';
import { InvalidInput } from './errors.js';
import {
  deterministicPath,
  hashPath,
  identityPath,
  lfn2pfn,
  normalizePrefix,
  pathToPfn,
  protocolBase,
  scopePath,
} from './lfn2pfn.js';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('lfn2pfn', () => {
  it('hash: keeps dots of ordinary scopes, splits user and group scopes into directories', () => {
    const h = md5('data18_13TeV:AOD.01234._000001.pool.root.1');
    expect(hashPath('data18_13TeV', 'AOD.01234._000001.pool.root.1')).toBe(
      `data18_13TeV/${h.slice(0, 2)}/${h.slice(2, 4)}/AOD.01234._000001.pool.root.1`,
    );
    const u = md5('user.jdoe:file.root');
    expect(hashPath('user.jdoe', 'file.root')).toBe(`user/jdoe/${u.slice(0, 2)}/${u.slice(2, 4)}/file.root`);
    const g = md5('group.phys-higgs:x');
    expect(hashPath('group.phys-higgs', 'x')).toBe(`group/phys-higgs/${g.slice(0, 2)}/${g.slice(2, 4)}/x`);
    const m = md5('mc16.valid:f');
    expect(hashPath('mc16.valid', 'f')).toBe(`mc16.valid/${m.slice(0, 2)}/${m.slice(2, 4)}/f`);
  });

  it('matches paths computed by Rucio\'s own __hash (Python hashlib) byte for byte', () => {
    expect(hashPath('user.jdoe', 'file.root')).toBe('user/jdoe/59/52/file.root');
    expect(hashPath('test', 'file1')).toBe('test/80/25/file1');
    expect(hashPath('data18_13TeV', 'AOD.01234._000001.pool.root.1')).toBe('data18_13TeV/c5/4b/AOD.01234._000001.pool.root.1');
    expect(hashPath('user.jdoe', 'run1/é.dat')).toBe('user/jdoe/d3/a7/run1/é.dat');
    expect(hashPath('groupie.x', 'y')).toBe('groupie/x/a4/59/y');
  });

  it('follows Rucio: any scope starting with "user" or "group" is split, even without a dot after it', () => {
    expect(scopePath('users.a.b')).toBe('users/a/b');
    expect(scopePath('groupie.x')).toBe('groupie/x');
    expect(scopePath('myuser.x')).toBe('myuser.x');
    expect(scopePath('plain')).toBe('plain');
  });

  it('hashes UTF-8 and keeps inner slashes of names', () => {
    const h = md5('user.jdoe:run1/é.dat');
    expect(hashPath('user.jdoe', 'run1/é.dat')).toBe(`user/jdoe/${h.slice(0, 2)}/${h.slice(2, 4)}/run1/é.dat`);
  });

  it('identity and algorithm selection', () => {
    expect(identityPath('user.jdoe', 'a/b')).toBe('user/jdoe/a/b');
    expect(deterministicPath('s', 'n', 'identity')).toBe('s/n');
    expect(deterministicPath('s', 'n')).toBe(hashPath('s', 'n'));
    expect(deterministicPath('s', 'n', 'default')).toBe(hashPath('s', 'n'));
    expect(() => deterministicPath('s', 'n', 'ligo')).toThrow(InvalidInput);
    expect(() => deterministicPath('s', 'n', 'ligo')).toThrow(/lfn2pfn algorithm 'ligo' for s:n/);
  });

  it('normalises prefixes to one leading and one trailing slash', () => {
    expect(normalizePrefix('data')).toBe('/data/');
    expect(normalizePrefix('/data')).toBe('/data/');
    expect(normalizePrefix('data/')).toBe('/data/');
    expect(normalizePrefix('/data/')).toBe('/data/');
    expect(normalizePrefix('')).toBe('/');
  });

  it('joins scheme, host, port, prefix and path as Rucio lfns2pfns does', () => {
    const https = { scheme: 'https', hostname: 'dav.example.org', port: 443, prefix: 'tarn/disk' };
    expect(protocolBase(https)).toBe('https://dav.example.org:443/tarn/disk/');
    const h = md5('user.jdoe:f');
    expect(lfn2pfn(https, 'user.jdoe', 'f')).toBe(`https://dav.example.org:443/tarn/disk/user/jdoe/${h.slice(0, 2)}/${h.slice(2, 4)}/f`);
    expect(pathToPfn({ ...https, prefix: '/' }, '/nondet/path/f')).toBe('https://dav.example.org:443/nondet/path/f');
    expect(pathToPfn(https, 'x/y')).toBe('https://dav.example.org:443/tarn/disk/x/y');
  });

  it('leaves the port out for file:// (Rucio posix) and when there is none', () => {
    expect(protocolBase({ scheme: 'file', hostname: 'localhost', port: 0, prefix: '/srv/rse' })).toBe('file://localhost/srv/rse/');
    expect(protocolBase({ scheme: 's3', hostname: 'minio', port: null, prefix: 'bucket' })).toBe('s3://minio/bucket/');
    expect(protocolBase({ scheme: 'root', hostname: 'eos', port: 1094, prefix: '//eos/x/' })).toBe('root://eos:1094//eos/x/');
  });
});
