import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { DID_CALLS } from './stock-calls.plan.js';
import { posixArea, stockClientWorld, type PosixArea, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const hex = (uuid: string) => uuid.replace(/-/g, '');

/**
 * The namespace through the stock client: GUIDs kept from upload and add_replicas and looked up, content history,
 * every DID column Rucio's metadata answers (eol_at included, in bulk too), scope listings down the tree, samples.
 */
describe('DIDs with the stock Rucio client', () => {
  const calls = new StockCalls(DID_CALLS);
  let w: StockClientWorld;
  let area: PosixArea;
  let posix: CreatedRse;
  let work: string;
  const uploadGuid = randomUUID();
  const replicaGuid = randomUUID();
  const metaGuid = randomUUID();
  let ds: string;
  let container: string;

  beforeAll(async () => {
    w = await stockClientWorld();
    area = await posixArea(w, 'dids');
    ({ rse: posix, work } = area);
    for (const name of ['raw.1', 'raw.2']) fs.writeFileSync(path.join(work, name), randomBytes(4096));
    ds = `${w.scope}:night-4712`;
    container = `${w.scope}:campaign-2026`;
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
    area?.drop();
  });

  it('keeps the GUID given at upload and at add_replicas, and finds the datasets of a file by it', async () => {
    const registered = await calls.run([
      calls.call('rucio upload --guid', w.user.step('rucio', ['upload', '--rse', posix.rse, '--scope', w.scope, '--guid', uploadGuid, path.join(work, 'raw.1')])),
      calls.call('rucio upload (no --guid: a client-made GUID)', w.user.step('rucio', ['upload', '--rse', posix.rse, '--scope', w.scope, path.join(work, 'raw.2')])),
      calls.call(
        'Client.add_replicas (guid, meta.guid)',
        w.user.pythonStep(
          `import sys
from rucio.client import Client
scope, rse = sys.argv[1], sys.argv[2]
Client().add_replicas(rse, [
  {'scope': scope, 'name': 'calib.1', 'bytes': 10, 'adler32': '0b4c01a1', 'guid': sys.argv[3]},
  {'scope': scope, 'name': 'calib.2', 'bytes': 20, 'adler32': '1c2d3e4f', 'meta': {'guid': sys.argv[4]}},
])
print('ok')`,
          [w.scope, w.siteA.rse, hex(replicaGuid), metaGuid],
        ),
      ),
      calls.call('rucio did add --type dataset', w.user.step('rucio', ['did', 'add', '--type', 'dataset', ds])),
      calls.call('rucio attach (legacy)', w.user.step('rucio', ['attach', ds, `${w.scope}:raw.1`, `${w.scope}:raw.2`, `${w.scope}:calib.1`])),
      calls.call('rucio did content add', w.user.step('rucio', ['did', 'content', 'add', '--to-did', ds, `${w.scope}:calib.2`])),
    ]);
    expectSucceeded(registered);
    expect(await passQueuedVerifications(w.db.dataSource)).toBe(4);

    const [{ guids }] = await w.db.dataSource.query(
      `SELECT json_object_agg(name, guid) AS guids FROM dids WHERE scope = $1 AND did_type = 'F'`,
      [w.scope],
    );
    expect(guids).toMatchObject({ 'raw.1': uploadGuid, 'calib.1': replicaGuid, 'calib.2': metaGuid });
    expect(guids['raw.2']).toMatch(/^[0-9a-f-]{36}$/);

    const looked = await calls.run([
      calls.call(
        'Client.get_dataset_by_guid',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps([list(Client().get_dataset_by_guid(g)) for g in sys.argv[1:]]))`,
          [hex(uploadGuid), metaGuid],
        ),
      ),
      calls.call('Client.get_dataset_by_guid (unknown GUID)', w.user.pythonStep(`from rucio.client import Client\nlist(Client().get_dataset_by_guid('${randomUUID()}'))`), { fails: true }),
      calls.call('rucio list-files (legacy)', w.user.step('rucio', ['list-files', ds])),
      calls.call('rucio did list --filter guid=', w.user.step('rucio', ['did', 'list', `${w.scope}:*`, '--filter', `type=file,guid=${hex(replicaGuid)}`, '--short'])),
    ]);
    const [byUpload, byMeta] = lastJson(looked.of('Client.get_dataset_by_guid'));
    expect(byUpload).toEqual([{ scope: w.scope, name: 'night-4712' }]);
    expect(byMeta).toEqual([{ scope: w.scope, name: 'night-4712' }]);
    expect(looked.of('Client.get_dataset_by_guid (unknown GUID)').stderr).toContain('DataIdentifierNotFound');
    expect(looked.of('rucio list-files (legacy)').stdout).toContain(uploadGuid);
    expect(looked.of('rucio did list --filter guid=').stdout.trim().split('\n')).toEqual([`${w.scope}:calib.1`]);
  }, TIMEOUT);

  it('answers every DID column Rucio answers, eol_at included, alone and in bulk', async () => {
    await w.db.dataSource.query(`UPDATE dids SET expired_at = '2027-03-01T00:00:00Z' WHERE scope = $1 AND name = 'night-4712'`, [w.scope]);
    const results = await calls.run([
      calls.call('rucio did metadata list', w.user.step('rucio', ['did', 'metadata', 'list', ds])),
      calls.call('rucio get-metadata (legacy)', w.user.step('rucio', ['get-metadata', ds])),
      calls.call(
        'Client.get_metadata_bulk',
        w.user.pythonStep(
          `import json, sys
from rucio.client import Client
scope = sys.argv[1]
dids = [{'scope': scope, 'name': n} for n in ('night-4712', 'raw.1', 'no.such.did')]
print(json.dumps({m['name']: {k: m.get(k, 'MISSING') for k in ('did_type', 'eol_at', 'guid', 'is_archive', 'access_cnt', 'project')} for m in Client().get_metadata_bulk(dids)}, default=str))`,
          [w.scope],
        ),
      ),
      calls.call('rucio did metadata set', w.user.step('rucio', ['did', 'metadata', 'set', ds, '--key', 'project', '--value', 'ska'])),
      calls.call('Client.get_metadata(plugin=ALL)', w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(Client().get_metadata(sys.argv[1], 'night-4712', plugin='ALL')['project']))`, [w.scope])),
    ]);
    const bulk = lastJson(results.of('Client.get_metadata_bulk'));
    expect(bulk).toEqual({
      'night-4712': { did_type: 'DATASET', eol_at: '2027-03-01 00:00:00', guid: null, is_archive: false, access_cnt: 0, project: null },
      'raw.1': { did_type: 'FILE', eol_at: null, guid: hex(uploadGuid), is_archive: false, access_cnt: 0, project: null },
    });
    expect(results.of('rucio did metadata list').stdout).toMatch(/eol_at\s*:?\s*│?\s*2027-03-01/);
    expect(results.of('rucio get-metadata (legacy)').stdout).toContain('is_archive');
    expect(lastJson(results.of('Client.get_metadata(plugin=ALL)'))).toBe('ska');
  }, TIMEOUT);

  it('lists a container down the tree (scope_list recursive, list_dids recursive) and makes a sample of it', async () => {
    const results = await calls.run([
      calls.call('rucio did add --type container', w.user.step('rucio', ['did', 'add', '--type', 'container', container])),
      calls.call('rucio add-dataset (legacy)', w.user.step('rucio', ['add-dataset', `${w.scope}:night-4713`])),
      calls.call('rucio add-container (legacy)', w.user.step('rucio', ['add-container', `${w.scope}:campaign-2026-sub`])),
      calls.call('rucio did content add (container)', w.user.step('rucio', ['did', 'content', 'add', '--to-did', container, `${w.scope}:campaign-2026-sub`])),
      calls.call('rucio attach (legacy, container)', w.user.step('rucio', ['attach', `${w.scope}:campaign-2026-sub`, ds, `${w.scope}:night-4713`])),
      calls.call(
        'Client.scope_list(recursive=True)',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps([(d['name'], d['type'], d['parent'] and d['parent']['name'], d['level']) for d in Client().scope_list(sys.argv[1], 'campaign-2026', recursive=True)]))`,
          [w.scope],
        ),
      ),
      calls.call('rucio did list --recursive', w.user.step('rucio', ['did', 'list', container, '--recursive', '--short'])),
      calls.call(
        'Client.create_did_sample',
        w.user.pythonStep(`import sys\nfrom rucio.client import Client\nClient().create_did_sample(sys.argv[1], 'campaign-2026', sys.argv[1], 'sample-1', 2)\nprint('ok')`, [w.scope]),
      ),
      calls.call('rucio list-content (legacy)', w.user.step('rucio', ['list-content', `${w.scope}:sample-1`])),
    ]);
    expectSucceeded(results);
    expect(lastJson(results.of('Client.scope_list(recursive=True)'))).toEqual([
      ['campaign-2026', 'CONTAINER', null, 0],
      ['campaign-2026-sub', 'CONTAINER', 'campaign-2026', 1],
      ['night-4712', 'DATASET', 'campaign-2026-sub', 2],
      ['calib.1', 'FILE', 'night-4712', 3],
      ['calib.2', 'FILE', 'night-4712', 3],
      ['raw.1', 'FILE', 'night-4712', 3],
      ['raw.2', 'FILE', 'night-4712', 3],
      ['night-4713', 'DATASET', 'campaign-2026-sub', 2],
    ]);
    expect(results.of('rucio did list --recursive').stdout).toContain(`${w.scope}:night-4713`);
    const sampled = results.of('rucio list-content (legacy)').stdout;
    expect(sampled.match(/(raw|calib)\.\d/g)).toHaveLength(2);
  }, TIMEOUT);

  it('keeps the content history of a dataset: what was detached, and when', async () => {
    const results = await calls.run([
      calls.call('rucio did content remove', w.user.step('rucio', ['did', 'content', 'remove', '--from-did', ds, `${w.scope}:calib.1`])),
      calls.call('rucio detach (legacy)', w.user.step('rucio', ['detach', ds, `${w.scope}:calib.2`])),
      calls.call('rucio did content history', w.user.step('rucio', ['did', 'content', 'history', ds])),
      calls.call('rucio list-content-history (legacy)', w.user.step('rucio', ['list-content-history', ds])),
      calls.call(
        'Client.list_content_history',
        w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(sorted((c['name'], c['type'], bool(c['deleted_at'])) for c in Client().list_content_history(sys.argv[1], 'night-4712'))))`, [w.scope]),
      ),
    ]);
    expectSucceeded(results);
    expect(lastJson(results.of('Client.list_content_history'))).toEqual([
      ['calib.1', 'FILE', true],
      ['calib.2', 'FILE', true],
    ]);
    for (const label of ['rucio did content history', 'rucio list-content-history (legacy)'] as const) {
      expect(results.of(label).stdout).toContain(`${w.scope}:calib.1`);
    }
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
