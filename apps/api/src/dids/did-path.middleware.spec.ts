import { foldDidPath } from './did-path.middleware.js';

describe('foldDidPath', () => {
  it('folds raw slashes of a DID name into one encoded segment, keeping the route suffix', () => {
    expect(foldDidPath('/dids/user.jdoe/run/1/file.root')).toBe('/dids/user.jdoe/run%2F1%2Ffile.root');
    expect(foldDidPath('/dids/user.jdoe/run/1/file.root/meta')).toBe('/dids/user.jdoe/run%2F1%2Ffile.root/meta');
    expect(foldDidPath('/dids/s/a/b/meta/key?x=1')).toBe('/dids/s/a%2Fb/meta/key?x=1');
    expect(foldDidPath('/dids/s/a/b/dids/history')).toBe('/dids/s/a%2Fb/dids/history');
    expect(foldDidPath('/dids/s/a/b/')).toBe('/dids/s/a%2Fb');
    expect(foldDidPath('/replicas/s/a/b/datasets')).toBe('/replicas/s/a%2Fb/datasets');
    expect(foldDidPath('/replicas/s/a%2Fb/c')).toBe('/replicas/s/a%2Fb%2Fc');
    expect(foldDidPath('/rules/s/a/b/history')).toBe('/rules/s/a%2Fb/history');
    expect(foldDidPath('/locks/s/a/b?did_type=dataset')).toBe('/locks/s/a%2Fb?did_type=dataset');
    expect(foldDidPath('/requests/s/a/b/SITE_A')).toBe('/requests/s/a%2Fb/SITE_A');
    expect(foldDidPath('/requests/history/s/a/b/SITE_A')).toBe('/requests/history/s/a%2Fb/SITE_A');
  });

  it('leaves single-segment names and fixed routes alone', () => {
    for (const url of ['/dids/s/a', '/dids/s/a%2Fb/files', '/dids/s/', '/dids/s/dids/search?type=all', '/dids/attachments', '/replicas/list',
      '/replicas/bad/states', '/replicas/rse/SITE_A', '/dids/s/a/files', '/health', '/dids/s/a%zz/b', '/rules/0a1b/history', '/rules/s/a/history',
      '/locks/SITE_A?did_type=dataset', '/locks/s/a', '/locks/bulk_locks_for_dids', '/requests/s/a/SITE_A', '/requests/list?src_rse=A',
      '/requests/history/s/a/SITE_A', '/requests/transfer_limits']) {
      expect(foldDidPath(url)).toBe(url);
    }
  });
});
