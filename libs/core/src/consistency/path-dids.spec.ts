import { deterministicPath } from '@tarn/domain';
import { didsAtPath, reversibleAlgorithm } from './path-dids.js';

describe('didsAtPath', () => {
  it.each([
    ['data18', 'file.root'],
    ['user.jdoe', 'run/4711/file.root'],
    ['group.phys.higgs', 'x'],
    ['mc.sim', 'a.b'],
  ])('reads back the hash path of %s:%s', (scope, name) => {
    expect(didsAtPath(deterministicPath(scope, name, 'hash'), 'hash')).toEqual([{ scope, name }]);
  });

  it('finds nothing for a path no DID hashes to', () => {
    expect(didsAtPath('data18/00/00/file.root', 'hash')).toEqual([]);
    expect(didsAtPath('stray.txt', 'hash')).toEqual([]);
    expect(didsAtPath('data18/file.root', 'hash')).toEqual([]);
  });

  it('gives every reading of an ambiguous identity path', () => {
    expect(didsAtPath('user/jdoe/a/f', 'identity')).toEqual([
      { scope: 'user', name: 'jdoe/a/f' },
      { scope: 'user.jdoe', name: 'a/f' },
      { scope: 'user.jdoe.a', name: 'f' },
    ]);
    expect(didsAtPath('data18/sub/f', 'identity')).toEqual([{ scope: 'data18', name: 'sub/f' }]);
  });

  it('knows which algorithms it can reverse', () => {
    expect(reversibleAlgorithm('hash')).toBe(true);
    expect(reversibleAlgorithm('identity')).toBe(true);
    expect(reversibleAlgorithm('atlas_custom')).toBe(false);
  });
});
