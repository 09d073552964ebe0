/**
 * The undertaker through runOnce: expired DIDs go with their unlocked rules, their names stay reserved; a DID
 * a locked rule protects stays (logged once, with the rule); an expired file leaves its datasets, whose rules
 * the evaluator then re-evaluates (its replicas are tombstoned for deletion).
 */
import { EPOCH_TOMBSTONE, RuleState, TarnError } from '@tarn/domain';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { RuleEvaluatorWorker } from '../../apps/rule-evaluator/src/rule-evaluator.worker.js';
import { UndertakerWorker } from '../../apps/undertaker/src/undertaker.worker.js';
import { inconsistencies, ruleDaemonsContext, type RuleDaemonsContext, ruleRow, testRunner, type TestRunner } from './support/rule-daemons-fixtures.js';

describe('undertaker', () => {
  let t: RuleDaemonsContext;
  let a: CreatedRse;
  let n = 0;
  let undertaker: TestRunner;

  const expire = (name: string) => t.db.dataSource.query(`UPDATE dids SET expired_at = now() - interval '1 minute' WHERE scope = $1 AND name = $2`, [t.scope, name]);
  const files = (count: number) => createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count, prefix: `ut${++n}`, bytes: 10 });
  const dataset = (fs: Awaited<ReturnType<typeof files>>) => createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, files: fs, name: `uds.${++n}` });
  const exists = async (name: string) => (await t.db.dataSource.query(`SELECT 1 FROM dids WHERE scope = $1 AND name = $2`, [t.scope, name])).length > 0;

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    a = await createRse(t.db.dataSource, { rse: 'UT_A' });
    undertaker = testRunner(t.db.dataSource, new UndertakerWorker(t.expiry, { intervalMs: 60_000, batchSize: 100, passBudgetMs: 10_000 }));
  });

  afterAll(async () => {
    await undertaker?.stop();
    await t?.close();
  });

  it('removes an expired dataset and its unlocked rule; the name stays reserved', async () => {
    const fs = await files(3);
    await createReplicas(t.db.dataSource, { rseId: a.id, files: fs });
    const ds = await dataset(fs);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'UT_A'));
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: 3 });
    await undertaker.runOnce();
    expect(await exists(ds.name)).toBe(true); // no expiry yet

    await expire(ds.name);
    expect((await undertaker.runOnce()).items).toBe(1);
    expect(await exists(ds.name)).toBe(false);
    expect(await ruleRow(t.db.dataSource, ruleId)).toBeUndefined();
    expect((await readEvents(t.db.dataSource, 'rule.deleted')).map((e) => e.ruleId)).toContain(ruleId);
    expect(await readEvents(t.db.dataSource, 'did.expired')).toContainEqual({ scope: t.scope, name: ds.name });
    const rows = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => fs.some((f) => f.name === r.name));
    expect(rows.map((r) => [r.lockCnt, r.tombstone !== null])).toEqual([[0, true], [0, true], [0, true]]);
    expect(await exists(fs[0].name)).toBe(true); // its files stay
    const error = await t.dids.addDids(t.user.issuer, [{ scope: t.scope, name: ds.name, type: 'DATASET' }]).catch((e: TarnError) => e);
    expect(error).toBeInstanceOf(TarnError);
    expect((error as TarnError).rucioClass).toBe('DataIdentifierAlreadyExists');
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('keeps an expired DID protected by a locked rule and says which rule, once', async () => {
    const ds = await dataset(await files(1));
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'UT_A', { locked: true }));
    await expire(ds.name);
    await undertaker.runOnce();
    await undertaker.runOnce();
    expect(await exists(ds.name)).toBe(true);
    const said = undertaker.logger.lines.filter((l) => l.includes(ds.name));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`locked rule ${ruleId} protects it`);
  });

  it('deletes an expired file from its dataset: the evaluator drops its locks and its replica is purged', async () => {
    const fs = await files(3);
    await createReplicas(t.db.dataSource, { rseId: a.id, files: fs });
    const ds = await dataset(fs);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'UT_A'));
    await expire(fs[0].name);
    await undertaker.runOnce();
    expect(await exists(fs[0].name)).toBe(false);
    const [{ length }] = await t.db.dataSource.query(`SELECT length::int FROM dids WHERE scope = $1 AND name = $2`, [t.scope, ds.name]);
    expect(length).toBe(2);

    const evaluator = testRunner(t.db.dataSource, new RuleEvaluatorWorker(t.reevaluation, null, { intervalMs: 60_000, passBudgetMs: 10_000, claimLimit: 1000 }));
    try {
      await evaluator.runOnce();
    } finally {
      await evaluator.stop();
    }
    expect((await readLocks(t.db.dataSource, ruleId)).map((l) => l.name)).toEqual(fs.slice(1).map((f) => f.name));
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: 2 });
    const [gone] = await readReplicas(t.db.dataSource, t.scope, fs[0].name);
    expect([gone.lockCnt, gone.tombstone?.getTime()]).toEqual([0, EPOCH_TOMBSTONE.getTime()]);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });
});
