import { hashPath } from '@tarn/domain';
import { didOfHashPath } from './pfn-resolution.js';

describe('didOfHashPath', () => {
  it('finds the scope and name of a hash path, also for user scopes (dots as directories) and names with slashes', () => {
    for (const [scope, name] of [['user.jdoe', 'run/1/file.root'], ['data18', 'f.1'], ['group.phys.higgs', 'x']]) {
      expect(didOfHashPath(hashPath(scope, name))).toEqual({ scope, name });
      expect(didOfHashPath(`/${hashPath(scope, name)}`)).toEqual({ scope, name });
    }
  });

  it('answers null when the md5 directories do not match', () => {
    expect(didOfHashPath('user/jdoe/00/00/file.root')).toBeNull();
    expect(didOfHashPath('file.root')).toBeNull();
  });
});
