import { ReplicaState } from '@tarn/domain';
import { RuleService } from '@tarn/core';
import { DEFAULT_REPAIR_SETTINGS } from '@tarn/core/rules/rule-repair.service.js';
import { ruleRepairRepository } from '@tarn/catalogue/repositories/rule-repair.repository.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { describeResult, expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { RULE_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const RULE_ID = /\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/;

/**
 * Rules through the stock client: history of a rule and of a DID, dataset locks (`rule list --traverse`), rule
 * listings with Rucio's `*` wildcards, --stuck (with --cancel-requests), --boost-rule, --child-rule-id.
 */
describe('rules with the stock Rucio client', () => {
  const calls = new StockCalls(RULE_CALLS);
  let w: StockClientWorld;
  let dataset: string;
  let okRule: string;
  let replicatingRule: string;

  beforeAll(async () => {
    w = await stockClientWorld();
    const ds = await createDataset(w.db.dataSource, { scope: w.scope, account: w.userAccount, name: 'night-4711', files: 3 });
    await createReplicas(w.db.dataSource, { rseId: w.siteA.id, files: ds.files, state: ReplicaState.AVAILABLE });
    dataset = `${ds.scope}:${ds.name}`;
  }, TIMEOUT);

  afterAll(async () => w?.close());

  it('adds rules, lists them with wildcards, shows the history of a rule and of its DID', async () => {
    const added = await calls.run([
      calls.call('rucio rule add --comment --lifetime', w.user.step('rucio', ['rule', 'add', dataset, '--copies', '1', '--rses', w.siteA.rse, '--comment', 'night 4711', '--lifetime', '86400'])),
      calls.call('rucio add-rule (legacy)', w.user.step('rucio', ['add-rule', dataset, '1', w.siteB.rse])),
    ]);
    okRule = RULE_ID.exec(added.of('rucio rule add --comment --lifetime').stdout)?.[0] as string;
    replicatingRule = RULE_ID.exec(added.of('rucio add-rule (legacy)').stdout)?.[0] as string;
    expect(okRule).toBeDefined();
    expect(replicatingRule).toBeDefined();

    const listed = await calls.run([
      calls.call(
        'Client.list_replication_rules(account=*, scope=*)',
        w.root.pythonStep(
          `import json\nfrom rucio.client import Client\nprint(json.dumps([r['id'] for r in Client().list_replication_rules({'account': '*', 'scope': '*'})]))`,
        ),
      ),
      calls.call(
        'Client.list_replication_rules(scope=user.*, state=)',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nprint(json.dumps([r['id'] for r in Client().list_replication_rules({'scope': 'user.*', 'state': 'OK', 'account': sys.argv[1]})]))`,
          [w.userAccount],
        ),
      ),
      calls.call('rucio rule show', w.user.step('rucio', ['rule', 'show', okRule])),
      calls.call('rucio rule-info (legacy)', w.user.step('rucio', ['rule-info', replicatingRule])),
    ]);
    expect(lastJson(listed.of('Client.list_replication_rules(account=*, scope=*)')).sort()).toEqual([okRule, replicatingRule].sort());
    expect(lastJson(listed.of('Client.list_replication_rules(scope=user.*, state=)'))).toEqual([okRule]);
    expect(listed.of('rucio rule show').stdout).toMatch(/Comment:\s+night 4711/);
    expect(listed.of('rucio rule-info (legacy)').stdout).toMatch(/State:\s+REPLICATING/);
  }, TIMEOUT);

  it('lists the dataset locks of a DID and of an RSE, and the rules holding a dataset (--traverse)', async () => {
    const results = await calls.run([
      calls.call('rucio rule list --did --traverse', w.user.step('rucio', ['rule', 'list', '--did', dataset, '--traverse'])),
      calls.call('rucio list-rules --traverse (legacy)', w.user.step('rucio', ['list-rules', dataset, '--traverse'])),
      calls.call(
        'Client.get_dataset_locks / get_dataset_locks_by_rse / get_locks_for_dids',
        w.user.pythonStep(
          `import json, sys
from rucio.client import Client
c = Client()
scope, name = sys.argv[1].split(':')
by_did = sorted((l['rse'], l['state'], l['length']) for l in c.get_dataset_locks(scope, name))
by_rse = [(l['scope'], l['name'], l['rule_id']) for l in c.get_dataset_locks_by_rse(sys.argv[2])]
bulk = sorted(l['rule_id'] for l in c.get_locks_for_dids([{'scope': scope, 'name': name, 'type': 'dataset'}]))
print(json.dumps({'by_did': by_did, 'by_rse': by_rse, 'bulk': bulk}))`,
          [dataset, w.siteA.rse],
        ),
      ),
    ]);
    for (const label of ['rucio rule list --did --traverse', 'rucio list-rules --traverse (legacy)'] as const) {
      const out = results.of(label).stdout;
      expect(out).toContain(okRule);
      expect(out).toContain(replicatingRule);
    }
    const locks = lastJson(results.of('Client.get_dataset_locks / get_dataset_locks_by_rse / get_locks_for_dids'));
    expect(locks.by_did).toEqual([[w.siteA.rse, 'OK', 3], [w.siteB.rse, 'REPLICATING', 3]]);
    expect(locks.by_rse).toEqual([[w.scope, 'night-4711', okRule]]);
    expect(locks.bulk).toEqual([okRule, replicatingRule].sort());
  }, TIMEOUT);

  it('--stuck with --cancel-requests: the replicating locks become stuck and their queued transfers go', async () => {
    const [{ queued }] = await w.db.dataSource.query(`SELECT count(*)::int AS queued FROM requests WHERE rule_id = $1`, [replicatingRule]);
    expect(queued).toBe(3);
    const results = await calls.run([
      calls.call('rucio rule update --stuck --cancel-requests', w.user.step('rucio', ['rule', 'update', replicatingRule, '--stuck', '--cancel-requests'])),
      calls.call('rucio rule update --boost-rule (not an administrator)', w.user.step('rucio', ['rule', 'update', replicatingRule, '--boost-rule']), { fails: true }),
    ]);
    expect(results.of('rucio rule update --stuck --cancel-requests').stdout).toContain('Updated Rule');
    const [rule] = await w.db.dataSource.query(`SELECT state, locks_stuck_cnt, locks_replicating_cnt, stuck_at FROM rules WHERE id = $1`, [replicatingRule]);
    expect(rule).toMatchObject({ state: 'S', locks_stuck_cnt: '3', locks_replicating_cnt: '0' });
    const [{ left }] = await w.db.dataSource.query(`SELECT count(*)::int AS left FROM requests WHERE rule_id = $1`, [replicatingRule]);
    expect(left).toBe(0);
    const cancelled = await w.db.dataSource.query(`SELECT state, err_msg FROM requests_history WHERE rule_id = $1`, [replicatingRule]);
    expect(cancelled).toHaveLength(3);
    expect(cancelled[0].err_msg).toContain(`marked stuck by ${w.userAccount}`);
    expect(results.of('rucio rule update --boost-rule (not an administrator)').stderr).toMatch(/AccessDenied|may not boost/);
  }, TIMEOUT);

  it('--boost-rule (administrators): the repairer takes the stuck rule now; --child-rule-id links a moved rule', async () => {
    const results = await calls.run([
      calls.call('rucio rule update --boost-rule', w.root.step('rucio', ['rule', 'update', replicatingRule, '--boost-rule'])),
      calls.call('rucio update-rule --child-rule-id (legacy)', w.root.step('rucio', ['update-rule', replicatingRule, '--child-rule-id', okRule])),
      calls.call('rucio update-rule --lifetime --priority (legacy)', w.root.step('rucio', ['update-rule', okRule, '--lifetime', '7200', '--priority', '4'])),
    ]);
    for (const r of results) expect(r.code).toBe(0);
    const [boosted] = await w.db.dataSource.query(`SELECT stuck_at, child_rule_id FROM rules WHERE id = $1`, [replicatingRule]);
    expect(new Date(boosted.stuck_at).getTime()).toBe(0);
    expect(boosted.child_rule_id).toBe(okRule);
    const [updated] = await w.db.dataSource.query(`SELECT priority, expires_at > now() + interval '7100 seconds' AS later FROM rules WHERE id = $1`, [okRule]);
    expect(updated).toEqual({ priority: 4, later: true });
  }, TIMEOUT);

  it('keeps the history: every state of a rule, and each rule a DID had from creation to deletion', async () => {
    const removed = await calls.run([
      calls.call('rucio update-rule --child-rule-id None (legacy)', w.root.step('rucio', ['update-rule', replicatingRule, '--child-rule-id', 'None'])),
      calls.call('rucio rule remove', w.user.step('rucio', ['rule', 'remove', replicatingRule])),
    ]);
    for (const r of removed) expect(r.code).toBe(0);
    const results = await calls.run([
      calls.call('rucio rule history', w.user.step('rucio', ['rule', 'history', dataset])),
      calls.call('rucio list-rules-history (legacy)', w.user.step('rucio', ['list-rules-history', dataset])),
      calls.call(
        'Client.list_replication_rule_full_history',
        w.user.pythonStep(
          `import json, sys\nfrom rucio.client import Client\nscope, name = sys.argv[1].split(':')\nprint(json.dumps([(h['rule_id'], h['account'], h['rse_expression']) for h in Client().list_replication_rule_full_history(scope, name)]))`,
          [dataset],
        ),
      ),
    ]);
    const history = results.of('rucio rule history').stdout;
    expect(history.match(/Rule insertion/g)).toHaveLength(2);
    expect(history.match(/Rule deletion/g)).toHaveLength(1);
    expect(results.of('rucio list-rules-history (legacy)').stdout).toContain(w.siteB.rse);
    const rows = lastJson(results.of('Client.list_replication_rule_full_history'));
    expect(rows).toEqual([
      [okRule, w.userAccount, w.siteA.rse],
      [replicatingRule, w.userAccount, w.siteB.rse],
      [replicatingRule, w.userAccount, w.siteB.rse],
    ]);

    // The rule is gone; its history stays: created REPLICATING, marked STUCK, then linked and unlinked (still STUCK).
    const res = await fetch(`${w.api.url}/rules/${replicatingRule}/history`, { headers: { 'X-Rucio-Auth-Token': await w.token(w.userAccount) } });
    expect(res.status).toBe(200);
    const states = (await res.text()).trim().split('\n').map((l) => JSON.parse(l).state);
    expect(states).toEqual(['REPLICATING', 'STUCK', 'STUCK', 'STUCK']);
  }, TIMEOUT);

  it('legacy update-rule --stuck keeps the queued transfers; --boost-rule has the repairer take the stuck rule now', async () => {
    const [ds, name] = dataset.split(':');
    const [rootRule] = await w.api.app.get(RuleService).addRules({ account: 'root', admin: true }, ruleSpec({ scope: ds, name }, w.siteB.rse));
    const due = () => ruleRepairRepository.stuckRulesDue(w.db.dataSource.manager, new Date(), DEFAULT_REPAIR_SETTINGS, 1000);
    const stuck = await calls.run([calls.call('rucio update-rule --stuck (legacy)', w.root.step('rucio', ['update-rule', rootRule, '--stuck']))]);
    expectSucceeded(stuck);
    const [rule] = await w.db.dataSource.query(`SELECT state, locks_stuck_cnt FROM rules WHERE id = $1`, [rootRule]);
    expect(rule).toEqual({ state: 'S', locks_stuck_cnt: '3' });
    const [{ queued }] = await w.db.dataSource.query(`SELECT count(*)::int AS queued FROM requests WHERE rule_id = $1`, [rootRule]);
    expect(queued).toBe(3);
    // Just marked stuck: the repairer waits out its back-off first.
    expect(await due()).not.toContain(rootRule);
    const boosted = await calls.run([calls.call('rucio update-rule --boost-rule (legacy)', w.root.step('rucio', ['update-rule', rootRule, '--boost-rule']))]);
    expectSucceeded(boosted);
    expect(await due()).toContain(rootRule);
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
