/**
 * The rule evaluator through runOnce on real PostgreSQL: attached content under DIDs with rules gets locks,
 * replicas and transfers on the rules' existing RSE choice; detached content loses them (tombstones); counters,
 * states and events follow; placement failures leave the rule STUCK with why; deferred rules are left to the
 * injector, which evaluates them in chunks without holding small rules back.
 */
import { EPOCH_TOMBSTONE, LockState, ReplicaState, RuleGrouping, RuleState } from '@tarn/domain';
import { AccountLimitService } from '@tarn/core/rses/account-limit.service.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createContainer, createDataset, createFiles, type FileSpec } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, readRequests, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { RuleEvaluatorWorker } from '../../apps/rule-evaluator/src/rule-evaluator.worker.js';
import { RuleInjectorWorker } from '../../apps/rule-injector/src/rule-injector.worker.js';
import { inconsistencies, locksPerRse, ruleDaemonsContext, type RuleDaemonsContext, ruleRow, testRunner, type TestRunner } from './support/rule-daemons-fixtures.js';

describe('rule evaluator', () => {
  let t: RuleDaemonsContext;
  let a: CreatedRse, b: CreatedRse, c: CreatedRse;
  let n = 0;
  let evaluator: TestRunner;

  const settings = { intervalMs: 60_000, passBudgetMs: 10_000, claimLimit: 10_000 };
  const dataset = (files: number | FileSpec[] = 0) => createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, files, name: `ds.${++n}` });
  const files = (count: number) => createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count, prefix: `f${++n}`, bytes: 100 });
  const attach = (parent: { scope: string; name: string }, children: Array<{ scope: string; name: string }>) =>
    t.dids.attach(t.user.issuer, [{ scope: parent.scope, name: parent.name, dids: children.map((f) => ({ scope: f.scope, name: f.name })) }]);
  const detach = (parent: { scope: string; name: string }, children: Array<{ scope: string; name: string }>) =>
    t.dids.detach(t.user.issuer, [{ scope: parent.scope, name: parent.name, dids: children.map((f) => ({ scope: f.scope, name: f.name })) }]);
  const queue = async () => Number((await t.db.dataSource.query(`SELECT count(*) AS n FROM updated_dids`))[0].n);
  const datasetLocks = (ruleId: string) =>
    t.db.dataSource.query(`SELECT scope, name, rse_id, state, length::int, bytes::int FROM dataset_locks WHERE rule_id = $1 ORDER BY name, rse_id`, [ruleId]);

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    a = await createRse(t.db.dataSource, { rse: 'EV_A', attributes: { site: 'x' } });
    b = await createRse(t.db.dataSource, { rse: 'EV_B', attributes: { site: 'x' } });
    c = await createRse(t.db.dataSource, { rse: 'EV_C', attributes: { site: 'x' } });
    evaluator = testRunner(t.db.dataSource, new RuleEvaluatorWorker(t.reevaluation, null, settings));
  });

  afterAll(async () => {
    await evaluator?.stop();
    await t?.close();
  });

  it('attaching 100 files to a dataset with a 2-copy rule makes 200 locks on the rule\'s two RSEs', async () => {
    const ds = await dataset();
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'site=x', { copies: 2 }));
    const chosen = (await datasetLocks(ruleId)).map((l: { rse_id: string }) => l.rse_id).sort();
    expect(chosen).toHaveLength(2);

    const added = await files(100);
    await attach(ds, added);
    expect(await queue()).toBe(1);
    const pass = await evaluator.runOnce();
    expect(pass).toMatchObject({ didWork: true, items: 1 });
    expect(await queue()).toBe(0);

    const locks = await readLocks(t.db.dataSource, ruleId);
    expect(locks).toHaveLength(200);
    expect(Object.keys(await locksPerRse(t.db.dataSource, ruleId)).sort()).toEqual(chosen);
    expect(new Set(locks.map((l) => l.state))).toEqual(new Set([LockState.REPLICATING]));
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, ok: 0, replicating: 200, stuck: 0 });
    const requests = (await readRequests(t.db.dataSource, t.scope)).filter((r) => r.ruleId === ruleId);
    expect(requests).toHaveLength(200);
    const replicas = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => added.some((f) => f.name === r.name));
    expect(replicas.map((r) => [r.state, r.lockCnt])).toEqual(replicas.map(() => [ReplicaState.COPYING, 1]));
    expect((await datasetLocks(ruleId)).map((l: { length: number; bytes: number }) => [l.length, l.bytes])).toEqual([[100, 10_000], [100, 10_000]]);
    const progress = (await readEvents(t.db.dataSource, 'rule.progress')).filter((e) => e.ruleId === ruleId);
    expect(progress.at(-1)).toEqual({ ruleId, locksOk: 0, locksReplicating: 200, locksStuck: 0 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);

    // More files later go to the same RSEs (DATASET grouping), already AVAILABLE ones get OK locks at once.
    const more = await files(5);
    await createReplicas(t.db.dataSource, { rseId: chosen[0], files: more });
    await attach(ds, more);
    await evaluator.runOnce();
    expect(Object.keys(await locksPerRse(t.db.dataSource, ruleId)).sort()).toEqual(chosen);
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, ok: 5, replicating: 205 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);

    // Detach 10: their locks go, their replicas (still COPYING, never completed) become UNAVAILABLE with the
    // epoch tombstone, their queued transfers are cancelled.
    const gone = added.slice(0, 10);
    await detach(ds, gone);
    await evaluator.runOnce();
    expect(await readLocks(t.db.dataSource, ruleId)).toHaveLength(190);
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ ok: 5, replicating: 185, stuck: 0 });
    const released = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => gone.some((f) => f.name === r.name));
    expect(released).toHaveLength(20);
    for (const r of released) expect([r.state, r.lockCnt, r.tombstone?.getTime()]).toEqual([ReplicaState.UNAVAILABLE, 0, EPOCH_TOMBSTONE.getTime()]);
    expect((await readRequests(t.db.dataSource, t.scope)).filter((r) => gone.some((f) => f.name === r.name))).toEqual([]);
    const [{ cancelled }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS cancelled FROM requests_history WHERE rule_id = $1 AND state = 'F' AND err_msg LIKE 'cancelled%'`,
      [ruleId],
    );
    expect(cancelled).toBe(20);
    expect((await datasetLocks(ruleId)).map((l: { length: number }) => l.length)).toEqual([95, 95]);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('detaching AVAILABLE files releases their replicas with a last-access tombstone, kept while another rule locks them', async () => {
    const shared = await files(4);
    await createReplicas(t.db.dataSource, { rseId: a.id, files: shared, accessedAt: new Date('2030-01-02T03:04:05Z') });
    const ds1 = await dataset();
    const ds2 = await dataset(shared);
    const [r1] = await t.rules.addRules(t.user.issuer, ruleSpec(ds1, 'EV_A'));
    await t.rules.addRules(t.user.issuer, ruleSpec(ds2, 'EV_A'));
    await attach(ds1, shared);
    await evaluator.runOnce();
    expect(await ruleRow(t.db.dataSource, r1)).toMatchObject({ state: RuleState.OK, ok: 4 });
    expect((await readReplicas(t.db.dataSource, t.scope)).filter((r) => shared.some((f) => f.name === r.name)).map((r) => r.lockCnt)).toEqual([2, 2, 2, 2]);

    await detach(ds1, shared.slice(0, 2));
    await evaluator.runOnce();
    const rows = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => shared.some((f) => f.name === r.name));
    expect(rows.map((r) => [r.lockCnt, r.tombstone])).toEqual([[1, null], [1, null], [2, null], [2, null]]);

    await detach(ds2, shared.slice(0, 1));
    await evaluator.runOnce();
    const [first] = await readReplicas(t.db.dataSource, t.scope, shared[0].name);
    expect([first.state, first.lockCnt, first.tombstone?.toISOString()]).toEqual([ReplicaState.AVAILABLE, 0, '2030-01-02T03:04:05.000Z']);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('applies the rules of ancestors: a file attached to a dataset inside a container with a rule', async () => {
    const ds = await dataset();
    const container = await createContainer(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `ctr.${++n}`, children: [ds] });
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(container, 'EV_B|EV_C', { copies: 1, grouping: 'DATASET' }));
    const added = await files(3);
    await attach(ds, added);
    await evaluator.runOnce();
    const locks = await readLocks(t.db.dataSource, ruleId);
    expect(locks).toHaveLength(3);
    expect(new Set(locks.map((l) => l.rseId)).size).toBe(1);
    expect((await datasetLocks(ruleId)).map((l: { name: string; length: number }) => [l.name, l.length])).toEqual([[ds.name, 3]]);

    // A dataset attached to the container is placed on its own (DATASET grouping); detaching it removes its locks.
    const ds2 = await dataset(await files(2));
    await attach(container, [ds2]);
    await evaluator.runOnce();
    expect(await readLocks(t.db.dataSource, ruleId)).toHaveLength(5);
    expect((await datasetLocks(ruleId)).map((l: { name: string }) => l.name).sort()).toEqual([ds.name, ds2.name].sort());
    await detach(container, [ds2]);
    await evaluator.runOnce();
    expect(await readLocks(t.db.dataSource, ruleId)).toHaveLength(3);
    expect((await datasetLocks(ruleId)).map((l: { name: string }) => l.name)).toEqual([ds.name]);
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ replicating: 3 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('places new files on the rule\'s RSEs for ALL grouping and per file for NONE', async () => {
    const ds = await dataset(await files(2));
    const container = await createContainer(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `ctr.${++n}`, children: [ds] });
    const [all] = await t.rules.addRules(t.user.issuer, ruleSpec(container, 'site=x', { copies: 1, grouping: 'ALL' }));
    const [none] = await t.rules.addRules(t.user.issuer, ruleSpec(container, 'site=x', { copies: 2, grouping: 'NONE' }));
    const [allRse] = Object.keys(await locksPerRse(t.db.dataSource, all));
    const ds2 = await dataset(await files(30));
    await attach(container, [ds2]);
    await evaluator.runOnce();
    expect(await locksPerRse(t.db.dataSource, all)).toEqual({ [allRse]: 32 });
    const noneLocks = await readLocks(t.db.dataSource, none);
    expect(noneLocks).toHaveLength(64);
    expect(new Set(noneLocks.map((l) => l.rseId)).size).toBe(3); // 30 files, 2 of 3 RSEs each at random
    expect(await t.db.dataSource.query(`SELECT 1 FROM dataset_locks WHERE rule_id = $1`, [none])).toEqual([]);
    expect((await t.rules.getRule(t.user.issuer, all)).grouping).toBe(RuleGrouping.ALL);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('leaves a rule STUCK with the reason when new files cannot be placed, the others go on', async () => {
    const limits = t.moduleRef.get(AccountLimitService);
    const ds = await dataset();
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'EV_C'));
    await limits.setRseLimit(t.root.issuer, t.user.account, 'EV_C', 150);
    await attach(ds, await files(2)); // 200 bytes > 150 left
    const other = await dataset();
    const [otherRule] = await t.rules.addRules(t.user.issuer, ruleSpec(other, 'EV_A'));
    await attach(other, await files(1));
    await evaluator.runOnce();
    const row = await ruleRow(t.db.dataSource, ruleId);
    expect(row).toMatchObject({ state: RuleState.STUCK, replicating: 0 });
    expect(row!.error).toMatch(/could not be placed.*EV_C/);
    expect((await readEvents(t.db.dataSource, 'rule.stuck')).filter((e) => e.ruleId === ruleId)).toHaveLength(1);
    expect(await ruleRow(t.db.dataSource, otherRule)).toMatchObject({ state: RuleState.REPLICATING, replicating: 1 });
    expect(await queue()).toBe(0);

    // The repairer places them once the quota allows.
    await limits.setRseLimit(t.root.issuer, t.user.account, 'EV_C', -1);
    await t.db.dataSource.query(`UPDATE rules SET stuck_at = now() - interval '1 day' WHERE id = $1`, [ruleId]);
    const repaired = await t.repair.repairRule(ruleId);
    expect(repaired).toMatchObject({ placed: 2, state: RuleState.REPLICATING });
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, replicating: 2, error: null });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('leaves INJECT and WAITING_APPROVAL rules alone, and a file attached then detached leaves nothing', async () => {
    const ds = await dataset();
    const [deferred] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'EV_A', { asynchronous: true }));
    const [waiting] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'EV_B', { askApproval: true }));
    const [live] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'EV_C'));
    const added = await files(3);
    await attach(ds, added);
    await detach(ds, added.slice(0, 1));
    await evaluator.runOnce();
    expect(await readLocks(t.db.dataSource, deferred)).toEqual([]);
    expect(await readLocks(t.db.dataSource, waiting)).toEqual([]);
    expect((await readLocks(t.db.dataSource, live)).map((l) => l.name)).toEqual(added.slice(1).map((f) => f.name));
    expect(await ruleRow(t.db.dataSource, deferred)).toMatchObject({ state: RuleState.INJECT });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('evaluates INJECT rules in chunks, round-robin, so a small one is not held back by a large one', async () => {
    await t.db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('rules', 'inject_chunk', '40')`);
    const big = await dataset(await files(100));
    const small = await dataset(await files(3));
    const [bigRule] = await t.rules.addRules(t.user.issuer, ruleSpec(big, 'site=x', { copies: 2, asynchronous: true }));
    const [smallRule] = await t.rules.addRules(t.user.issuer, ruleSpec(small, 'EV_A', { asynchronous: true }));
    const injector = testRunner(t.db.dataSource, new RuleInjectorWorker(t.reevaluation, null, { intervalMs: 60_000, batchSize: 100, passBudgetMs: 10_000 }));
    try {
      await injector.runOnce();
      expect(await ruleRow(t.db.dataSource, smallRule)).toMatchObject({ state: RuleState.REPLICATING, replicating: 3 });
      expect(await ruleRow(t.db.dataSource, bigRule)).toMatchObject({ state: RuleState.INJECT, replicating: 80 });
      await injector.runOnce();
      await injector.runOnce();
      expect(await ruleRow(t.db.dataSource, bigRule)).toMatchObject({ state: RuleState.REPLICATING, replicating: 200 });
      // Every file of the dataset on the same two RSEs, chosen by the first chunk.
      const perRse = await locksPerRse(t.db.dataSource, bigRule);
      expect(Object.values(perRse)).toEqual([100, 100]);
      expect((await datasetLocks(bigRule)).map((l: { length: number }) => l.length)).toEqual([100, 100]);
      expect((await injector.runOnce()).didWork).toBe(false);
      expect(await inconsistencies(t.db.dataSource)).toEqual([]);
    } finally {
      await injector.stop();
      await t.db.dataSource.query(`DELETE FROM configs WHERE section = 'rules' AND opt = 'inject_chunk'`);
    }
  });
});
