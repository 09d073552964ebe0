import { ReplicaState } from '@tarn/domain';
import { RuleService } from '@tarn/core';
import { transferRequestRepository } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { createContainer, createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { REPLICA_CALLS } from './stock-calls.plan.js';
import { davsProtocol, stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
/** A table row of the stock CLI (plain or rich): the cells in order, whatever the borders. */
const row = (...cells: Array<string | number>) => new RegExp(cells.map(String).join('[\\s|│]+'));

/**
 * Replicas through the stock client: dataset replicas of a container (scope_list + datasets_bulk), the datasets
 * on an RSE, nrandom, an empty list, temporary unavailability with an expiry, tombstones, bad PFNs, PFN lookups.
 */
describe('replicas with the stock Rucio client', () => {
  const calls = new StockCalls(REPLICA_CALLS);
  let w: StockClientWorld;
  let container: string;
  let night1: string;
  let firstFile: string;
  let firstPfn: string;

  beforeAll(async () => {
    w = await stockClientWorld();
    const a = await createDataset(w.db.dataSource, { scope: w.scope, account: w.userAccount, name: 'night-1', files: 3 });
    const b = await createDataset(w.db.dataSource, { scope: w.scope, account: w.userAccount, name: 'night-2', files: 2 });
    await createContainer(w.db.dataSource, { scope: w.scope, account: w.userAccount, name: 'campaign', children: [a, b] });
    await createReplicas(w.db.dataSource, { rseId: w.siteA.id, files: [...a.files, ...b.files] });
    await createReplicas(w.db.dataSource, { rseId: w.siteB.id, files: a.files.slice(0, 2) });
    container = `${w.scope}:campaign`;
    night1 = `${w.scope}:night-1`;
    firstFile = a.files[0].name;
  }, TIMEOUT);

  afterAll(async () => w?.close());

  it('lists the dataset replicas of a container and the datasets on an RSE', async () => {
    const results = await calls.run([
      calls.call('rucio replica list dataset (container)', w.user.step('rucio', ['replica', 'list', 'dataset', container])),
      calls.call('rucio list-dataset-replicas (legacy)', w.user.step('rucio', ['list-dataset-replicas', night1])),
      calls.call(
        'Client.list_dataset_replicas_bulk',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps(sorted((r['name'], r['rse'], r['available_length'], r['length'], r['state']) for r in Client().list_dataset_replicas_bulk([{'scope': sys.argv[1], 'name': 'night-1'}, {'scope': sys.argv[1], 'name': 'night-2'}]))))`,
          [w.scope],
        ),
      ),
      calls.call('rucio replica list dataset --rse', w.user.step('rucio', ['replica', 'list', 'dataset', '--rse', w.siteB.rse])),
      calls.call('rucio list-datasets-rse (legacy)', w.user.step('rucio', ['list-datasets-rse', w.siteA.rse])),
      calls.call(
        'Client.list_datasets_per_rse',
        w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps([(r['name'], r['available_length']) for r in Client().list_datasets_per_rse(sys.argv[1])]))`, [w.siteA.rse]),
      ),
    ]);
    expectSucceeded(results);
    const container_ = results.of('rucio replica list dataset (container)').stdout;
    expect(container_).toContain(`${w.scope}:night-1`);
    expect(container_).toContain(`${w.scope}:night-2`);
    expect(container_).toMatch(row(w.siteB.rse, 2, 3));
    expect(results.of('rucio list-dataset-replicas (legacy)').stdout).toMatch(row(w.siteA.rse, 3, 3));
    expect(lastJson(results.of('Client.list_dataset_replicas_bulk'))).toEqual([
      ['night-1', w.siteA.rse, 3, 3, 'AVAILABLE'],
      ['night-1', w.siteB.rse, 2, 3, 'UNAVAILABLE'],
      ['night-2', w.siteA.rse, 2, 2, 'AVAILABLE'],
    ]);
    expect(results.of('rucio replica list dataset --rse').stdout).toContain(`${w.scope}:night-1`);
    expect(results.of('rucio replica list dataset --rse').stdout).not.toContain('night-2');
    expect(results.of('rucio list-datasets-rse (legacy)').stdout).toContain('night-2');
    expect(lastJson(results.of('Client.list_datasets_per_rse'))).toEqual([['night-1', 3], ['night-2', 2]]);
  }, TIMEOUT);

  it('answers no replicas for no DIDs, picks nrandom RSEs per file, and finds the DID of a PFN', async () => {
    const results = await calls.run([
      calls.call('Client.list_replicas([])', w.user.pythonStep(`import json\nfrom rucio.client import Client\nprint(json.dumps(list(Client().list_replicas([]))))`)),
      calls.call(
        'Client.list_replicas(nrandom=1)',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps([sorted(r['rses']) for r in Client().list_replicas([{'scope': sys.argv[1], 'name': sys.argv[2]}], nrandom=1)]))`,
          [w.scope, firstFile],
        ),
      ),
      calls.call(
        'Client.list_replicas(schemes=davs)',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps([r['rses'] for r in Client().list_replicas([{'scope': sys.argv[1], 'name': sys.argv[2]}], schemes=['davs'])]))`,
          [w.scope, firstFile],
        ),
      ),
    ]);
    expect(lastJson(results.of('Client.list_replicas([])'))).toEqual([]);
    const [picked] = lastJson<string[][]>(results.of('Client.list_replicas(nrandom=1)'));
    expect(picked).toHaveLength(1);
    expect([w.siteA.rse, w.siteB.rse]).toContain(picked[0]);
    const [rses] = lastJson<Array<Record<string, string[]>>>(results.of('Client.list_replicas(schemes=davs)'));
    firstPfn = rses[w.siteA.rse][0];
    const looked = await calls.run([
      calls.call(
        'Client.get_did_from_pfns',
        w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(list(Client().get_did_from_pfns([sys.argv[1]], sys.argv[2]))))`, [firstPfn, w.siteA.rse]),
      ),
    ]);
    expect(lastJson(looked.of('Client.get_did_from_pfns'))).toEqual([{ [firstPfn]: { scope: w.scope, name: firstFile } }]);
  }, TIMEOUT);

  it('declares a replica temporarily unavailable until an expiry, then it is AVAILABLE again', async () => {
    const results = await calls.run([
      calls.call('rucio replica state update unavailable', w.root.step('rucio', ['replica', 'state', 'update', 'unavailable', firstPfn, '--reason', 'disk server down', '--duration', '3600'])),
      calls.call('rucio replica state update unavailable (not an administrator)', w.user.step('rucio', ['replica', 'state', 'update', 'unavailable', firstPfn, '--reason', 'x', '--duration', '60']), {
        fails: true,
      }),
      calls.call(
        'Client.list_replicas (while unavailable)',
        w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps([sorted(r['rses']) for r in Client().list_replicas([{'scope': sys.argv[1], 'name': sys.argv[2]}])]))`, [w.scope, firstFile]),
      ),
    ]);
    expect(results.of('rucio replica state update unavailable').stdout).toContain('1 replicas successfully declared');
    const [onA] = (await readReplicas(w.db.dataSource, w.scope, firstFile)).filter((r) => r.rseId === w.siteA.id);
    expect(onA.state).toBe(ReplicaState.TEMPORARY_UNAVAILABLE);
    expect(lastJson(results.of('Client.list_replicas (while unavailable)'))).toEqual([[w.siteB.rse]]);

    // Nor is it a source: a copy of the file elsewhere is ranked from SITE_B alone.
    const siteC = await createRse(w.db.dataSource, { rse: `SITE_C_${w.hex.toUpperCase()}`, protocols: [davsProtocol(`SITE_C_${w.hex}`)] });
    await w.api.app.get(RuleService).addRules({ account: 'root', admin: true }, ruleSpec({ scope: w.scope, name: firstFile }, siteC.rse));
    const [request] = await w.db.dataSource.query(`SELECT id FROM requests WHERE scope = $1 AND name = $2 AND dest_rse_id = $3`, [w.scope, firstFile, siteC.id]);
    const { submitted } = await w.db.dataSource.transaction((m) => transferRequestRepository.submitWithSources(m, [request.id], [], ['davs'], 'none'));
    expect(submitted.map((r) => r.sourceRseId)).toEqual([w.siteB.id]);
    const sources = await w.db.dataSource.query(`SELECT rse_id FROM request_sources WHERE request_id = $1`, [request.id]);
    expect(sources).toEqual([{ rse_id: w.siteB.id }]);

    const registrar = w.api.app.get(ReplicaRegistrarService, { strict: false });
    expect(await registrar.restoreTemporarilyUnavailable()).toBe(0);
    await w.db.dataSource.query(`UPDATE bad_replicas SET expires_at = now() - interval '1 second' WHERE state = 'T'`);
    expect(await registrar.restoreTemporarilyUnavailable()).toBe(1);
    const [back] = (await readReplicas(w.db.dataSource, w.scope, firstFile)).filter((r) => r.rseId === w.siteA.id);
    expect(back.state).toBe(ReplicaState.AVAILABLE);

    const legacy = await calls.run([
      calls.call('rucio-admin replicas declare-temporary-unavailable (legacy)', w.root.step('rucio-admin', ['replicas', 'declare-temporary-unavailable', firstPfn, '--reason', 'again', '--duration', '600'])),
    ]);
    expectSucceeded(legacy);
    const [again] = (await readReplicas(w.db.dataSource, w.scope, firstFile)).filter((r) => r.rseId === w.siteA.id);
    expect(again.state).toBe(ReplicaState.TEMPORARY_UNAVAILABLE);
  }, TIMEOUT);

  it('sets tombstones (unlocked replicas only) and declares bad PFNs', async () => {
    const [second, third] = (await w.db.dataSource.query(`SELECT child_name AS name FROM contents WHERE scope = $1 AND name = 'night-1' ORDER BY child_name`, [w.scope]))
      .map((r: { name: string }) => r.name)
      .slice(1);
    const results = await calls.run([
      calls.call('rucio replica remove', w.root.step('rucio', ['replica', 'remove', `${w.scope}:${second}`, '--rse', w.siteB.rse])),
      calls.call('rucio-admin replicas set-tombstone (legacy)', w.root.step('rucio-admin', ['replicas', 'set-tombstone', `${w.scope}:${third}`, '--rse', w.siteA.rse])),
      calls.call(
        'Client.set_tombstone (not an administrator)',
        w.user.pythonStep(`import sys\nfrom rucio.client import Client\nClient().set_tombstone([{'scope': sys.argv[1], 'name': sys.argv[2], 'rse': sys.argv[3]}])`, [w.scope, third, w.siteA.rse]),
        { fails: true },
      ),
      calls.call(
        'Client.add_bad_pfns(BAD)',
        w.root.pythonStep(
          `import sys
from rucio.client import Client
c = Client()
scope, name, rse = sys.argv[1:]
pfn = next(c.list_replicas([{'scope': scope, 'name': name}], schemes=['davs']))['rses'][rse][0]
print(c.add_bad_pfns([pfn], 'checksum mismatch', 'BAD', None))`,
          [w.scope, second, w.siteA.rse],
        ),
      ),
      calls.call(
        'Client.add_bad_pfns (a PFN of no replica)',
        w.root.pythonStep(`import sys\nfrom rucio.client import Client\nClient().add_bad_pfns([sys.argv[1]], 'gone', 'BAD', None)`, [`${firstPfn}.no-such-file`]),
        { fails: true },
      ),
    ]);
    expect(results.of('rucio replica remove').code).toBe(0);
    expect(results.of('rucio-admin replicas set-tombstone (legacy)').code).toBe(0);
    const tombstones = await w.db.dataSource.query(
      `SELECT name, rse_id, tombstone FROM replicas WHERE scope = $1 AND tombstone IS NOT NULL ORDER BY name`,
      [w.scope],
    );
    expect(tombstones.map((t: { name: string; rse_id: string; tombstone: Date }) => [t.name, t.rse_id, t.tombstone.getTime()])).toEqual([
      [second, w.siteB.id, 0],
      [third, w.siteA.id, 0],
    ]);
    expect(results.of('Client.set_tombstone (not an administrator)').stderr).toContain('AccessDenied');
    expect(results.of('Client.add_bad_pfns(BAD)').stdout.trim()).toBe('True');
    const [bad] = (await readReplicas(w.db.dataSource, w.scope, second)).filter((r) => r.rseId === w.siteA.id);
    expect(bad.state).toBe(ReplicaState.BAD);
    expect(results.of('Client.add_bad_pfns (a PFN of no replica)').stderr).toContain('ReplicaNotFound');
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
