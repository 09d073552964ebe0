import { RuleService } from '@tarn/core';
import { createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { OPERATIONS_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const PY = 'import json, sys\nfrom rucio.client import Client\n';

/** What operators ask of a running instance with the stock client: subscriptions' rules by state, transfer requests, an export. */
describe('operations with the stock Rucio client', () => {
  const calls = new StockCalls(OPERATIONS_CALLS);
  let w: StockClientWorld;

  beforeAll(async () => {
    w = await stockClientWorld();
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
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

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
