import { deterministicOwners, storagePathOf } from './storage-path.js';
import { hashPath, identityPath } from './lfn2pfn.js';

describe('storage paths', () => {
  it('takes a relative path below the prefix and nothing that could leave it', () => {
    expect(storagePathOf('/user/jdoe/a/b.dat')).toEqual({ path: 'user/jdoe/a/b.dat' });
    for (const bad of ['../../x', 'user/../x', 'a/./b', 'a//b', 'a/b/', '', '/', 'a\u0000b', 42]) {
      expect(storagePathOf(bad)).toEqual({ problem: expect.any(String) });
    }
  });

  it('finds the files a deterministic path belongs to, however the scope directories nest', () => {
    expect(deterministicOwners(hashPath('user.jdoe', 'run/4711.raw'))).toEqual([{ scope: 'user.jdoe', name: 'run/4711.raw' }]);
    expect(deterministicOwners(hashPath('data18', 'x.root'))).toEqual([{ scope: 'data18', name: 'x.root' }]);
    // identity: user:a/b/c, user.a:b/c and user.a.b:c are one file.
    expect(deterministicOwners(identityPath('user.a', 'b/c'), 'identity')).toEqual([
      { scope: 'user', name: 'a/b/c' },
      { scope: 'user.a', name: 'b/c' },
      { scope: 'user.a.b', name: 'c' },
    ]);
    expect(deterministicOwners('somewhere/else/x.dat')).toEqual([]);
  });
});
