import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RuleService } from '@tarn/core';
import { rucioClient, startTestApi, type RucioClient, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { OPERATIONS_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const PY = 'import json, sys\nfrom rucio.client import Client\n';

/** What operators ask of a running instance with the stock client: subscriptions' rules by state, transfer requests, an export and its import elsewhere. */
describe('operations with the stock Rucio client', () => {
  const calls = new StockCalls(OPERATIONS_CALLS);
  let w: StockClientWorld;
  let work: string;
  /** A second instance on a catalogue of its own, with only its root account. */
  let fresh: { db: TestDatabase; api: TestApi; root: RucioClient };

  beforeAll(async () => {
    w = await stockClientWorld();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-import-'));
    const db = await createTestDatabase();
    const api = await startTestApi(db);
    const password = `root-${randomBytes(8).toString('hex')}`;
    await createAccount(db.dataSource, { account: 'root', admin: true, password });
    fresh = { db, api, root: await rucioClient(api.url, 'root', password) };
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
    await fresh?.api.close();
    await fresh?.db.drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("counts a subscription's rules by state, shows a file's transfer request and exports the RSEs", async () => {
    const [file] = await createFiles(w.db.dataSource, { scope: w.scope, account: w.userAccount, count: 1, prefix: 'raw' });
    await createReplicas(w.db.dataSource, { rseId: w.siteA.id, files: [file] });
    await w.db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ($1, $2, 1e12)`, [w.userAccount, w.siteB.id]);
    const token = await w.token(w.userAccount);
    const created = await fetch(`${w.api.url}/subscriptions/${w.userAccount}/raw-to-b`, {
      method: 'POST',
      headers: { 'X-Rucio-Auth-Token': token },
      body: JSON.stringify({ options: { filter: { scope: [w.scope] }, replication_rules: [{ copies: 1, rse_expression: w.siteB.rse }] } }),
    });
    expect(created.status).toBe(201);
    const subscriptionId = await created.text();
    await w.api.app.get(RuleService).addRules({ account: w.userAccount, admin: false }, ruleSpec(file, w.siteB.rse, { subscriptionId }));
    await w.db.dataSource.query(`INSERT INTO distances (src_rse_id, dest_rse_id, distance) VALUES ($1, $2, 3)`, [w.siteA.id, w.siteB.id]);

    const request = `print(json.dumps(Client().list_request_by_did(sys.argv[2], sys.argv[3], scope=sys.argv[1]), default=str))`;
    const results = await calls.run([
      calls.call('Client.list_subscription_rule_states', w.user.pythonStep(`${PY}print(json.dumps(list(Client().list_subscription_rule_states(sys.argv[1]))))`, [w.userAccount])),
      calls.call('Client.list_subscription_rule_states(name=)', w.user.pythonStep(`${PY}print(json.dumps(list(Client().list_subscription_rule_states(sys.argv[1], name='raw-to-b'))))`, [w.userAccount])),
      calls.call('Client.list_request_by_did', w.root.pythonStep(`${PY}${request}`, [w.scope, file.name, w.siteB.rse])),
      calls.call('Client.list_request_by_did (not an administrator)', w.user.pythonStep(`${PY}${request}`, [w.scope, file.name, w.siteB.rse]), { fails: true }),
      calls.call('Client.export_data', w.root.pythonStep(`${PY}print(json.dumps(Client().export_data(), default=str))`)),
      calls.call('Client.export_data(distance=False)', w.root.pythonStep(`${PY}print(json.dumps(sorted(Client().export_data(distance=False))))`)),
    ]);
    expectSucceeded(results.filter((_, i) => i !== 3));
    expect(lastJson(results.of('Client.list_subscription_rule_states'))).toEqual([[w.userAccount, 'raw-to-b', 'REPLICATING', 1]]);
    expect(lastJson(results.of('Client.list_subscription_rule_states(name=)'))).toEqual([[w.userAccount, 'raw-to-b', 'REPLICATING', 1]]);
    expect(lastJson(results.of('Client.list_request_by_did'))).toMatchObject({ scope: w.scope, name: file.name, dest_rse: w.siteB.rse, state: 'QUEUED', request_type: 'TRANSFER' });
    expect(results.of('Client.list_request_by_did (not an administrator)').stderr).toMatch(/AccessDenied|not allowed|only administrators/i);
    const exported = lastJson(results.of('Client.export_data'));
    expect(Object.keys(exported.rses)).toEqual(expect.arrayContaining([w.siteA.rse, w.siteB.rse]));
    expect(exported.rses[w.siteA.rse]).toMatchObject({ rse: w.siteA.rse, attributes: expect.objectContaining({ QOS: 'SAFE' }), protocols: [expect.objectContaining({ scheme: 'davs' })] });
    expect(exported.distances[w.siteA.rse][w.siteB.rse]).toMatchObject({ distance: 3 });
    expect(lastJson(results.of('Client.export_data(distance=False)'))).toEqual(['rses']);
  }, TIMEOUT);

  it('keeps the priority of a subscription (Rucio policyid), given when added or updated', async () => {
    const filter = JSON.stringify({ scope: [w.scope], datatype: ['CALIB'] });
    const rules = JSON.stringify([{ copies: 1, rse_expression: w.siteB.rse }]);
    const results = await calls.run([
      calls.call('rucio subscription add --priority', w.user.step('rucio', ['subscription', 'add', 'calib-to-b', '--filter', filter, '--rule', rules, '--priority', '2'])),
      calls.call('rucio-admin subscription add --priority (legacy)', w.user.step('rucio-admin', ['subscription', 'add', '--priority', '5', 'flat-to-b', filter, rules, 'flat fields'])),
      calls.call('rucio subscription update --priority', w.user.step('rucio', ['subscription', 'update', 'calib-to-b', '--filter', filter, '--rule', rules, '--priority', '1'])),
      calls.call('rucio-admin subscription list (legacy, priority)', w.user.step('rucio-admin', ['subscription', 'list', 'flat-to-b'])),
      calls.call('Client.list_subscriptions (policyid)', w.user.pythonStep(`${PY}print(json.dumps(sorted((s['name'], s['policyid']) for s in Client().list_subscriptions(account=sys.argv[1]) if s['name'] != 'raw-to-b')))`, [w.userAccount])),
    ]);
    expectSucceeded(results);
    expect(results.of('rucio-admin subscription list (legacy, priority)').stdout).toMatch(/priority: 5/);
    expect(lastJson(results.of('Client.list_subscriptions (policyid)'))).toEqual([['calib-to-b', 1], ['flat-to-b', 5]]);
  }, TIMEOUT);

  it("imports an instance's export into a fresh catalogue (import_data): the fresh one exports the same RSEs and distances", async () => {
    await w.db.dataSource.query(`INSERT INTO rse_limits (rse_id, name, value) VALUES ($1, 'MinFreeSpace', 5000000)`, [w.siteB.id]);
    const exportFile = path.join(work, 'export.json');
    const exported = await calls.run([
      calls.call('Client.export_data', w.root.pythonStep(`${PY}json.dump(Client().export_data(), open(sys.argv[1], 'w'), default=str)\nprint('ok')`, [exportFile])),
    ]);
    expectSucceeded(exported);
    const original = JSON.parse(fs.readFileSync(exportFile, 'utf8'));
    const ours = [w.siteA.rse, w.siteB.rse];

    const importPy = `${PY}print(Client().import_data(json.load(open(sys.argv[1]))))`;
    const imported = await calls.run([
      calls.call('Client.import_data (a fresh catalogue)', fresh.root.pythonStep(importPy, [exportFile])),
      calls.call('Client.export_data (after the import)', fresh.root.pythonStep(`${PY}print(json.dumps(Client().export_data(), default=str))`)),
      calls.call('Client.import_data (not an administrator)', w.user.pythonStep(importPy, [exportFile]), { fails: true }),
    ]);
    expect(imported.of('Client.import_data (a fresh catalogue)').stdout.trim()).toBe('Created');
    expect(imported.of('Client.import_data (not an administrator)').stderr).toMatch(/AccessDenied/);
    const again = lastJson(imported.of('Client.export_data (after the import)'));
    // The same RSEs (new ids), with the same settings, protocols, attributes and limits, and the same distances.
    const withoutId = ({ id: _id, ...rse }: Record<string, unknown>) => rse;
    for (const rse of ours) expect(withoutId(again.rses[rse])).toEqual(withoutId(original.rses[rse]));
    expect(again.rses[w.siteA.rse].id).not.toBe(original.rses[w.siteA.rse].id);
    expect(again.rses[w.siteB.rse].limits).toEqual({ MinFreeSpace: 5000000 });
    const distance = (d: Record<string, unknown>) => [d.distance, d.ranking];
    expect(distance(again.distances[w.siteA.rse][w.siteB.rse])).toEqual(distance(original.distances[w.siteA.rse][w.siteB.rse]));
    expect(again.distances[w.siteA.rse][w.siteB.rse].src_rse_id).toBe(again.rses[w.siteA.rse].id);

    // Imported again, changed: properties, protocols and attributes are updated, nothing left out is removed; accounts are added.
    const changed = structuredClone(original);
    const siteA = changed.rses[w.siteA.rse];
    siteA.availability_write = false;
    siteA.attributes = { tier: 2 };
    siteA.protocols[0].prefix = '/tarn/moved';
    siteA.protocols.push({ ...siteA.protocols[0], scheme: 'root', port: 1094, prefix: '/tarn/data' });
    changed.distances[w.siteA.rse][w.siteB.rse] = { ranking: 7 };
    await createAccount(fresh.db.dataSource, { account: `leftover-${w.hex}`, email: `leftover-${w.hex}@example.org` });
    const login = `night-${w.hex}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    changed.accounts = [
      { account: 'root', email: 'root@example.org' },
      { account: `ops-${w.hex}`, email: `ops-${w.hex}@example.org`, identities: [{ type: 'USERPASS', identity: login, password }] },
    ];
    const changedFile = path.join(work, 'changed.json');
    fs.writeFileSync(changedFile, JSON.stringify(changed));
    const unknownFile = path.join(work, 'unknown.json');
    fs.writeFileSync(unknownFile, JSON.stringify({ rses: { [`NEW_${w.hex.toUpperCase()}`]: {} }, distances: { [w.siteA.rse]: { [`GONE_${w.hex.toUpperCase()}`]: { distance: 1 } } } }));
    const reimported = await calls.run([
      calls.call('Client.import_data (again, changed)', fresh.root.pythonStep(importPy, [changedFile])),
      calls.call('Client.import_data (a distance to an unknown RSE)', fresh.root.pythonStep(importPy, [unknownFile]), { fails: true }),
    ]);
    expectSucceeded([reimported.of('Client.import_data (again, changed)')]);
    expect(reimported.of('Client.import_data (a distance to an unknown RSE)').stderr).toContain('RSENotFound');
    const ops = await rucioClient(fresh.api.url, `ops-${w.hex}`, password, login);
    const whoami = await calls.run([calls.call('rucio whoami (an imported account)', ops.step('rucio', ['whoami']))]);
    expect(whoami[0].stdout).toContain(`ops-${w.hex}`);

    const db = fresh.db.dataSource;
    const [rse] = await db.query(`SELECT id, availability_write FROM rses WHERE rse = $1 AND NOT deleted`, [w.siteA.rse]);
    expect(rse.availability_write).toBe(false);
    const attributes = await db.query(`SELECT key, value FROM rse_attributes WHERE rse_id = $1 ORDER BY key`, [rse.id]);
    expect(attributes).toEqual([{ key: 'QOS', value: 'SAFE' }, { key: 'tier', value: 2 }]);
    const protocols = await db.query(`SELECT scheme, port, prefix FROM rse_protocols WHERE rse_id = $1 ORDER BY scheme`, [rse.id]);
    expect(protocols).toEqual([{ scheme: 'davs', port: 443, prefix: '/tarn/moved' }, { scheme: 'root', port: 1094, prefix: '/tarn/data' }]);
    const [{ distance: d }] = await db.query(`SELECT distance FROM distances d JOIN rses s ON s.id = d.src_rse_id WHERE s.rse = $1`, [w.siteA.rse]);
    expect(d).toBe(7);
    expect(await db.query(`SELECT rse FROM rses WHERE rse = $1`, [`NEW_${w.hex.toUpperCase()}`])).toEqual([]);
    // The account list is complete, as in Rucio: an account left out is removed (root never).
    const accounts = await db.query(`SELECT account, status, email FROM accounts ORDER BY account`);
    expect(accounts).toEqual([
      { account: `leftover-${w.hex}`, status: 'DELETED', email: `leftover-${w.hex}@example.org` },
      { account: `ops-${w.hex}`, status: 'ACTIVE', email: `ops-${w.hex}@example.org` },
      { account: 'root', status: 'ACTIVE', email: 'root@example.org' },
    ]);
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
