import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { rucioClient, startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createContainer, createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';

/**
 * The DID search the stock client uses (GET /dids/{scope}/dids/search, Rucio list_dids) with `recursive`, and the
 * parents list_replicas gives with resolve_parents (how `rucio download <dataset>` matches files to what was asked).
 *
 *   user.jdoe:cont -> ds.a (a.000000, a.000001), ds.b (b.000000), inner -> ds.c (c.000000),
 *                     secret.boss:hidden.ds (s.000000, in a restricted scope of another account)
 */
const SCOPE = 'user.jdoe';
const SECRET = 'secret.boss';
const PASSWORD = 'secret-search-tests';

const ndjson = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));

describe('DID search (recursive) and list_replicas resolve_parents', () => {
  let db: TestDatabase;
  let api: TestApi;
  const tokens: Record<string, string> = {};

  const get = async (account: string, path: string) => {
    const response = await request(api.url).get(path).set('X-Rucio-Auth-Token', tokens[account]);
    expect(`${response.status} ${response.text}`).toMatch(/^200 /);
    return ndjson(response.text);
  };
  const search = (account: string, filters: string, type: string, recursive: boolean) =>
    get(account, `/dids/${SCOPE}/dids/search?type=${type}&filters=${encodeURIComponent(filters)}&long=True&recursive=${recursive ? 'True' : 'False'}`);
  const dids = (rows: { scope: string; name: string }[]) => rows.map((r) => `${r.scope}:${r.name}`).sort();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'jdoe', password: PASSWORD });
    await createAccount(db.dataSource, { account: 'boss', password: PASSWORD, admin: true });
    await createScope(db.dataSource, { scope: SCOPE, account: 'jdoe' });
    await createScope(db.dataSource, { scope: SECRET, account: 'boss', restricted: true });
    for (const account of ['jdoe', 'boss']) {
      tokens[account] = (await api.app.get(AuthenticationService).authenticateUserpass(account, account, PASSWORD)).token;
    }

    const files = async (scope: string, prefix: string, count: number) => createFiles(db.dataSource, { scope, account: 'jdoe', prefix, count });
    const [a1, a2] = await files(SCOPE, 'a', 2);
    const [b1] = await files(SCOPE, 'b', 1);
    const [c1] = await files(SCOPE, 'c', 1);
    const [s1] = await files(SECRET, 's', 1);
    const dsA = await createDataset(db.dataSource, { scope: SCOPE, account: 'jdoe', name: 'ds.a', files: [a1, a2] });
    const dsB = await createDataset(db.dataSource, { scope: SCOPE, account: 'jdoe', name: 'ds.b', files: [b1] });
    const dsC = await createDataset(db.dataSource, { scope: SCOPE, account: 'jdoe', name: 'ds.c', files: [c1] });
    const hidden = await createDataset(db.dataSource, { scope: SECRET, account: 'boss', name: 'hidden.ds', files: [s1] });
    const inner = await createContainer(db.dataSource, { scope: SCOPE, account: 'jdoe', name: 'inner', children: [dsC] });
    await createContainer(db.dataSource, { scope: SCOPE, account: 'jdoe', name: 'cont', children: [dsA, dsB, inner, hidden] });
    // Metadata on one branch (cont, inner, ds.c, c.000000) and on a.000000, whose dataset ds.a has none.
    for (const name of ['cont', 'inner', 'ds.c', c1.name, a1.name]) {
      await db.dataSource.query(`INSERT INTO did_meta (scope, name, meta) VALUES ($1, $2, '{"campaign": "spring"}')`, [SCOPE, name]);
    }
    const rse = await createRse(db.dataSource, {
      rse: 'SEARCH_DISK',
      protocols: [{ scheme: 'root', hostname: 'eos.example.org', port: 1094, prefix: '/eos/tarn', impl: 'rucio.rse.protocols.xrootd.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } }],
    });
    await createReplicas(db.dataSource, { rseId: rse.id, files: [a1, a2, b1, c1] });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('without recursive, finds the named DID only, with the fields the stock download reads', async () => {
    expect(await search('jdoe', "[{'name': 'ds.a'}]", 'all', false)).toEqual([{ scope: SCOPE, name: 'ds.a', did_type: 'DATASET', bytes: 2000, length: 2 }]);
    expect(await search('jdoe', "[{'name': 'cont'}]", 'all', false)).toEqual([expect.objectContaining({ name: 'cont', did_type: 'CONTAINER' })]);
  });

  it('with recursive, adds everything below the hits, at any depth, of the types asked for', async () => {
    const all = await search('jdoe', "[{'name': 'cont'}]", 'all', true);
    expect(all.map((d: { name: string; did_type: string }) => `${d.name}:${d.did_type}`)).toEqual([
      'a.000000:FILE',
      'a.000001:FILE',
      'b.000000:FILE',
      'c.000000:FILE',
      'cont:CONTAINER',
      'ds.a:DATASET',
      'ds.b:DATASET',
      'ds.c:DATASET',
      'inner:CONTAINER',
    ]);
    expect(all.every((d: { scope: string }) => d.scope === SCOPE)).toBe(true);

    const collections = await search('jdoe', "[{'name': 'cont'}]", 'collection', true);
    expect(collections.map((d: { name: string; did_type: string }) => `${d.name}:${d.did_type}`)).toEqual([
      'cont:CONTAINER',
      'ds.a:DATASET',
      'ds.b:DATASET',
      'ds.c:DATASET',
      'inner:CONTAINER',
    ]);
  });

  it('descends only into hits: a container that is not of the type asked for hides its datasets', async () => {
    expect(await search('jdoe', "[{'name': 'cont'}]", 'dataset', true)).toEqual([]);
    // Datasets matching the pattern, and their files (ds.c comes from the scope itself, not through inner).
    expect((await search('jdoe', "[{'name': 'ds.*'}]", 'all', true)).map((d: { name: string }) => d.name)).toEqual([
      'a.000000',
      'a.000001',
      'b.000000',
      'c.000000',
      'ds.a',
      'ds.b',
      'ds.c',
    ]);
  });

  it('applies the other filters at every level (the name only at the top), and only hits are descended into', async () => {
    const hits = await search('jdoe', "[{'name': 'cont', 'campaign': 'spring'}]", 'all', true);
    // a.000000 has the metadata but its dataset ds.a does not, so the search never reaches it.
    expect(hits.map((d: { name: string }) => d.name)).toEqual(['c.000000', 'cont', 'ds.c', 'inner']);
  });

  it('enters a restricted scope only for those who may read it', async () => {
    const boss = await search('boss', "[{'name': 'cont'}]", 'all', true);
    expect(dids(boss.filter((d: { scope: string }) => d.scope === SECRET))).toEqual([`${SECRET}:hidden.ds`, `${SECRET}:s.000000`]);
  });

  it('serves the stock `rucio did list --recursive`', async () => {
    const cli = await rucioClient(api.url, 'jdoe', PASSWORD);
    const listed = (await cli.run('rucio', ['did', 'list', '--recursive', '--short', `${SCOPE}:inner`])).stdout;
    expect(listed.trim().split('\n').sort()).toEqual([`${SCOPE}:ds.c`, `${SCOPE}:inner`]);
  }, 120_000);

  it('gives every file its ancestors with resolve_parents, as JSON and as Metalink', async () => {
    const body = JSON.stringify({ dids: [{ scope: SCOPE, name: 'cont' }], resolve_parents: true });
    const json = await request(api.url).post('/replicas/list').set('X-Rucio-Auth-Token', tokens.jdoe).send(body).expect(200);
    const parents = Object.fromEntries(ndjson(json.text).map((f: { name: string; parents: string[] }) => [f.name, f.parents]));
    expect(parents).toEqual({
      'a.000000': [`${SCOPE}:cont`, `${SCOPE}:ds.a`],
      'a.000001': [`${SCOPE}:cont`, `${SCOPE}:ds.a`],
      'b.000000': [`${SCOPE}:cont`, `${SCOPE}:ds.b`],
      'c.000000': [`${SCOPE}:cont`, `${SCOPE}:ds.c`, `${SCOPE}:inner`],
    });

    const metalink = await request(api.url)
      .post('/replicas/list')
      .set('X-Rucio-Auth-Token', tokens.jdoe)
      .set('Accept', 'application/metalink4+xml')
      .send(JSON.stringify({ dids: [{ scope: SCOPE, name: 'ds.c' }], resolve_parents: true }))
      .expect(200);
    expect(metalink.text).toContain(`  <parents>\n   <did>${SCOPE}:cont</did>\n   <did>${SCOPE}:ds.c</did>\n   <did>${SCOPE}:inner</did>\n  </parents>\n`);

    const without = await request(api.url).post('/replicas/list').set('X-Rucio-Auth-Token', tokens.jdoe).send(JSON.stringify({ dids: [{ scope: SCOPE, name: 'ds.c' }] })).expect(200);
    expect(ndjson(without.text)[0]).not.toHaveProperty('parents');
  });
});
