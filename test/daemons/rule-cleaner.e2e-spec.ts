/**
 * The rule cleaner through runOnce: a rule whose lifetime passed goes with its locks (tombstones on replicas no
 * other rule locks, nothing taken from another rule), a locked one stays and the cleaner says why (once), a
 * moved rule's parent goes when its child is OK.
 */
import { EPOCH_TOMBSTONE, RuleState } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { RuleCleanerWorker } from '../../apps/rule-cleaner/src/rule-cleaner.worker.js';
import { inconsistencies, ruleDaemonsContext, type RuleDaemonsContext, ruleRow, testRunner, type TestRunner } from './support/rule-daemons-fixtures.js';

describe('rule cleaner', () => {
  let t: RuleDaemonsContext;
  let a: CreatedRse, b: CreatedRse;
  let n = 0;
  let cleaner: TestRunner;

  const expire = (ruleId: string) => t.db.dataSource.query(`UPDATE rules SET expires_at = now() - interval '1 minute' WHERE id = $1`, [ruleId]);
  const files = (count: number) => createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count, prefix: `cl${++n}`, bytes: 10 });
  const dataset = (fs: Awaited<ReturnType<typeof files>>) => createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, files: fs, name: `cds.${++n}` });

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    a = await createRse(t.db.dataSource, { rse: 'CL_A' });
    b = await createRse(t.db.dataSource, { rse: 'CL_B' });
    cleaner = testRunner(t.db.dataSource, new RuleCleanerWorker(t.rules, t.expiry, null, { intervalMs: 60_000, batchSize: 200 }));
  });

  afterAll(async () => {
    await cleaner?.stop();
    await t?.close();
  });

  it('removes an expired rule: tombstones where no lock is left, nothing taken from another rule', async () => {
    const fs = await files(4);
    await createReplicas(t.db.dataSource, { rseId: a.id, files: fs });
    const ds = await dataset(fs);
    const other = await dataset(fs.slice(0, 2));
    const [expiring] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'CL_A', { lifetime: 3600 }));
    const [staying] = await t.rules.addRules(t.user.issuer, ruleSpec(other, 'CL_A'));
    await cleaner.runOnce();
    expect(await ruleRow(t.db.dataSource, expiring)).toBeDefined(); // not expired yet

    await expire(expiring);
    const before = Date.now();
    expect((await cleaner.runOnce()).items).toBe(1);
    expect(await ruleRow(t.db.dataSource, expiring)).toBeUndefined();
    expect(await readLocks(t.db.dataSource, expiring)).toEqual([]);
    expect((await readEvents(t.db.dataSource, 'rule.expired')).map((e) => e.ruleId)).toContain(expiring);
    const rows = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => fs.some((f) => f.name === r.name));
    expect(rows.slice(0, 2).map((r) => [r.lockCnt, r.tombstone])).toEqual([[1, null], [1, null]]);
    for (const r of rows.slice(2)) {
      expect(r.lockCnt).toBe(0);
      expect(r.tombstone!.getTime()).toBeGreaterThanOrEqual(before - 5000);
    }
    expect(await ruleRow(t.db.dataSource, staying)).toMatchObject({ state: RuleState.OK, ok: 2 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('purges the replicas of an expired rule with purge_replicas', async () => {
    const fs = await files(2);
    await createReplicas(t.db.dataSource, { rseId: b.id, files: fs });
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(await dataset(fs), 'CL_B', { purgeReplicas: true }));
    await expire(ruleId);
    await cleaner.runOnce();
    const rows = (await readReplicas(t.db.dataSource, t.scope)).filter((r) => fs.some((f) => f.name === r.name));
    expect(rows.map((r) => [r.lockCnt, r.tombstone?.getTime()])).toEqual([[0, EPOCH_TOMBSTONE.getTime()], [0, EPOCH_TOMBSTONE.getTime()]]);
  });

  it('keeps an expired locked rule and says why, once', async () => {
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(await dataset(await files(1)), 'CL_B', { locked: true }));
    await expire(ruleId);
    await cleaner.runOnce();
    await cleaner.runOnce();
    expect(await ruleRow(t.db.dataSource, ruleId)).toBeDefined();
    const said = cleaner.logger.lines.filter((l) => l.includes(ruleId));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warn rule .* expired at .* but is locked, so it stays; unlock it/);

    await t.rules.updateRule(t.user.issuer, ruleId, { locked: false });
    await cleaner.runOnce();
    expect(await ruleRow(t.db.dataSource, ruleId)).toBeUndefined();
  });

  it('releases the parent of a moved rule once the child is OK', async () => {
    const fs = await files(2);
    await createReplicas(t.db.dataSource, { rseId: b.id, files: fs.slice(0, 1) });
    const [parent] = await t.rules.addRules(t.user.issuer, ruleSpec(await dataset(fs), 'CL_A'));
    const child = await t.rules.moveRule(t.user.issuer, parent, 'CL_B');
    expect(await ruleRow(t.db.dataSource, child)).toMatchObject({ state: RuleState.REPLICATING });
    await cleaner.runOnce();
    expect(await ruleRow(t.db.dataSource, parent)).toBeDefined();

    // The copy to CL_B completes (as the transfer daemons report it): the child is OK.
    await unitOfWork(t.db.dataSource, { what: 'transfer done' }, (manager) =>
      markReplicasAvailable(manager, [{ scope: t.scope, name: fs[1].name, rseId: b.id }]),
    );
    expect(await ruleRow(t.db.dataSource, child)).toMatchObject({ state: RuleState.OK });
    await cleaner.runOnce();
    expect(await ruleRow(t.db.dataSource, parent)).toBeUndefined();
    expect(cleaner.logger.lines.some((l) => l.includes(`rule ${parent} removed: the rule it was moved to is OK`))).toBe(true);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });
});
