import { ReplicaState } from '@tarn/domain';
import type { FileReplicas } from '@tarn/core';
import { metalinkFile, replicaJsonRenderer, replicaWire } from './replica.wire.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const pfn = (p: string, scheme: string, priority: number, domain: 'wan' | 'lan' = 'wan') => ({ pfn: p, scheme, priority, domain });
const replica = (rse: string, rseId: string, state: ReplicaState, pfns: ReturnType<typeof pfn>[]) => ({
  rse, rseId, state, path: 'p', pfns, lockCnt: 0, tombstone: null, accessedAt: null,
});

const file: FileReplicas = {
  scope: 'user.jdoe',
  name: 'a "quoted" & <odd> name',
  bytes: 42,
  adler32: '0000abcd',
  md5: null,
  xxh64: null,
  replicas: [
    replica('SITE_B', B, ReplicaState.AVAILABLE, [pfn('https://b/x', 'https', 1)]),
    replica('SITE_A', A, ReplicaState.COPYING, [pfn('root://a/x', 'root', 2), pfn('https://a/x', 'https', 1)]),
  ],
};
const rses = new Map([
  [A, { type: 'DISK', volatile: false, availabilityRead: true }],
  [B, { type: 'TAPE', volatile: true, availabilityRead: false }],
]);

describe('replica wire', () => {
  it("renders Rucio's replica dict: PFNs by (domain, priority, pfn) numbered 1..n, rses by RSE id then priority", () => {
    const line = replicaJsonRenderer()(replicaWire(file, { rses, readableOnly: false, limit: null }));
    expect(line.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(line);
    expect(parsed).toEqual({
      scope: 'user.jdoe',
      name: 'a "quoted" & <odd> name',
      bytes: 42,
      md5: null,
      adler32: '0000abcd',
      pfns: {
        'https://a/x': { rse_id: A, rse: 'SITE_A', type: 'DISK', volatile: false, domain: 'wan', priority: 1, client_extract: false },
        'https://b/x': { rse_id: B, rse: 'SITE_B', type: 'TAPE', volatile: true, domain: 'wan', priority: 2, client_extract: false },
        'root://a/x': { rse_id: A, rse: 'SITE_A', type: 'DISK', volatile: false, domain: 'wan', priority: 3, client_extract: false },
      },
      rses: { SITE_A: ['https://a/x', 'root://a/x'], SITE_B: ['https://b/x'] },
      states: { SITE_B: 'AVAILABLE', SITE_A: 'COPYING' },
    });
    expect(Object.keys(parsed.pfns)).toEqual(['https://a/x', 'https://b/x', 'root://a/x']);
    expect(Object.keys(parsed.rses)).toEqual(['SITE_A', 'SITE_B']);
  });

  it('leaves out RSEs not available for reading when asked, and keeps at most `limit` PFNs', () => {
    const readable = JSON.parse(replicaJsonRenderer()(replicaWire(file, { rses, readableOnly: true, limit: 1 })));
    expect(readable.pfns).toEqual({ 'https://a/x': expect.objectContaining({ priority: 1 }) });
    expect(readable.states).toEqual({ SITE_A: 'COPYING' });
  });

  it('writes Metalink 4 with XML escaping', () => {
    const xml = metalinkFile(replicaWire(file, { rses, readableOnly: false, limit: null }));
    expect(xml).toBe(
      ' <file name="a &quot;quoted&quot; &amp; &lt;odd&gt; name">\n' +
        '  <identity>user.jdoe:a &quot;quoted&quot; &amp; &lt;odd&gt; name</identity>\n' +
        '  <hash type="adler32">0000abcd</hash>\n' +
        '  <size>42</size>\n' +
        '  <glfn name="/tarn/rucio/user.jdoe:a &quot;quoted&quot; &amp; &lt;odd&gt; name"></glfn>\n' +
        '  <url location="SITE_A" domain="wan" priority="1" client_extract="false">https://a/x</url>\n' +
        '  <url location="SITE_B" domain="wan" priority="2" client_extract="false">https://b/x</url>\n' +
        '  <url location="SITE_A" domain="wan" priority="3" client_extract="false">root://a/x</url>\n' +
        ' </file>\n',
    );
  });
});
