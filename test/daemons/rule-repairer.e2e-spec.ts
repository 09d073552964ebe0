/**
 * The rule repairer through runOnce: a STUCK lock is retried on its RSE (a QUEUED transfer again, its last
 * error kept), moved to another RSE of the expression after repeated failures there, the rule SUSPENDED after
 * too many attempts; exponential backoff between attempts; a growing dataset does not hold repairs back.
 * (The transfer daemons mark locks STUCK; here the test does, as they would.)
 */
import { EPOCH_TOMBSTONE, LockState, ReplicaState, RuleState } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { ruleRepository } from '@tarn/catalogue/repositories/rule.repository.js';
import { appendEvents } from '@tarn/events';
import { applyLockProgress } from '@tarn/core/rules/rule-progress.js';
import { collectRows } from '@tarn/core/dids/row-stream.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { RuleRepairerWorker } from '../../apps/rule-repairer/src/rule-repairer.worker.js';
import { inconsistencies, ruleDaemonsContext, type RuleDaemonsContext, ruleRow, testRunner, type TestRunner } from './support/rule-daemons-fixtures.js';

describe('rule repairer', () => {
  let t: RuleDaemonsContext;
  let rses: CreatedRse[];
  let n = 0;
  let repairer: TestRunner;

  const setConfig = async (opt: string, value: number) =>
    t.db.dataSource.query(
      `INSERT INTO configs (section, opt, value) VALUES ('repairer', $1, $2) ON CONFLICT (section, opt) DO UPDATE SET value = EXCLUDED.value`,
      [opt, String(value)],
    );
  const dataset = async (count: number) =>
    createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, files: await createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count, prefix: `rp${++n}`, bytes: 10 }), name: `rds.${n}` });
  const lockOf = async (ruleId: string, name: string, rseId: string) =>
    (await t.db.dataSource.query(`SELECT state, repair_cnt, error FROM locks WHERE rule_id = $1 AND name = $2 AND rse_id = $3`, [ruleId, name, rseId]))[0];
  const requestTo = async (name: string, rseId: string) =>
    (await t.db.dataSource.query(`SELECT state FROM requests WHERE scope = $1 AND name = $2 AND dest_rse_id = $3`, [t.scope, name, rseId]))[0]?.state;

  /** What the transfer daemons do when a transfer failed for good: request FAILED, lock STUCK with the error. */
  async function failLock(ruleId: string, name: string, rseId: string, error: string): Promise<void> {
    await unitOfWork(t.db.dataSource, { what: 'a failed transfer' }, async (manager) => {
      await manager.query(`UPDATE requests SET state = 'F' WHERE scope = $1 AND name = $2 AND dest_rse_id = $3`, [t.scope, name, rseId]);
      const [, changed] = await manager.query(`UPDATE locks SET state = 'S', error = $4 WHERE rule_id = $1 AND name = $2 AND rse_id = $3 AND state = 'R'`, [
        ruleId,
        name,
        rseId,
        error,
      ]);
      expect(changed).toBe(1);
      await ruleRepository.update(manager, ruleId, { error });
      await appendEvents(manager, await applyLockProgress(manager, [{ ruleId, ok: 0, replicating: -1, stuck: 1 }]));
    });
  }

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    rses = [];
    for (const name of ['RP_A', 'RP_B', 'RP_C']) rses.push(await createRse(t.db.dataSource, { rse: name, attributes: { pool: 'p' } }));
    await setConfig('backoff_base_seconds', 0);
    await setConfig('move_after', 3);
    repairer = testRunner(t.db.dataSource, new RuleRepairerWorker(t.repair, null, { intervalMs: 60_000, batchSize: 100 }));
  });

  afterAll(async () => {
    await repairer?.stop();
    await t?.close();
  });

  it('retries a failing lock on its RSE, then moves it to another RSE of the expression', async () => {
    const ds = await dataset(3);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'pool=p', { copies: 2 }));
    const locks = await readLocks(t.db.dataSource, ruleId);
    const used = [...new Set(locks.map((l) => l.rseId))];
    const free = rses.find((r) => !used.includes(r.id))!;
    const failing = used[0];
    const file = ds.files[0].name;

    for (let attempt = 1; attempt <= 2; attempt++) {
      await failLock(ruleId, file, failing, `TRANSFER_FAILED attempt ${attempt}: checksum mismatch`);
      expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.STUCK, stuck: 1 });
      expect((await readEvents(t.db.dataSource, 'rule.stuck')).filter((e) => e.ruleId === ruleId).at(-1)).toMatchObject({
        error: `TRANSFER_FAILED attempt ${attempt}: checksum mismatch`,
      });
      const pass = await repairer.runOnce();
      expect(pass.items).toBe(1);
      // Retried where it was: a QUEUED transfer again, the lock REPLICATING with its last error kept.
      expect(await lockOf(ruleId, file, failing)).toEqual({ state: LockState.REPLICATING, repair_cnt: attempt, error: `TRANSFER_FAILED attempt ${attempt}: checksum mismatch` });
      expect(await requestTo(file, failing)).toBe('Q');
      expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, stuck: 0, replicating: 6, repair_cnt: attempt });
    }
    const queued = (await readEvents(t.db.dataSource, 'transfer.queued')).filter((e) => e.ruleId === ruleId && e.destRseId === failing);
    // The rule's first transfers there (one event for all of them), then one event for each retry of the one file.
    expect(queued.map((e) => e.count)).toEqual([locks.filter((l) => l.rseId === failing).length, 1, 1]);

    // The third failure on that RSE: moved to the one RSE of the expression the dataset does not use yet.
    await failLock(ruleId, file, failing, 'TRANSFER_FAILED attempt 3: destination full');
    await repairer.runOnce();
    expect(await lockOf(ruleId, file, failing)).toBeUndefined();
    const moved = await lockOf(ruleId, file, free.id);
    expect(moved).toMatchObject({ state: LockState.REPLICATING, repair_cnt: 0 });
    expect(moved.error).toMatch(/^moved here from RP_[ABC] after 3 failure\(s\) there: TRANSFER_FAILED attempt 3: destination full$/);
    expect(await requestTo(file, free.id)).toBe('Q');
    expect(await requestTo(file, failing)).not.toBe('Q'); // not retried there any more
    const [old] = await readReplicas(t.db.dataSource, t.scope, file).then((rows) => rows.filter((r) => r.rseId === failing));
    expect([old.state, old.lockCnt, old.tombstone?.getTime()]).toEqual([ReplicaState.UNAVAILABLE, 0, EPOCH_TOMBSTONE.getTime()]);
    const dsLocks = await t.db.dataSource.query(`SELECT rse_id, length::int FROM dataset_locks WHERE rule_id = $1 ORDER BY length DESC, rse_id`, [ruleId]);
    expect(dsLocks.map((l: { rse_id: string; length: number }) => [l.rse_id, l.length])).toEqual(
      [[used[1], 3], [failing, 2], [free.id, 1]].sort((x, y) => (y[1] as number) - (x[1] as number) || (x[0] < y[0] ? -1 : 1)),
    );
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, replicating: 6, stuck: 0 });

    // Every lock's last error is visible through the API.
    const viaApi = await collectRows(await t.rules.listRuleLocks(t.user.issuer, ruleId));
    expect(viaApi.find((l) => l.name === file && l.rseId === free.id)?.error).toMatch(/destination full/);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('keeps retrying in place when the expression has no other RSE, and suspends after max_attempts', async () => {
    await setConfig('max_attempts', 3);
    try {
      const ds = await dataset(2);
      const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'RP_A|RP_B', { copies: 2 }));
      const file = ds.files[1].name;
      for (let attempt = 1; attempt <= 3; attempt++) {
        await failLock(ruleId, file, rses[0].id, `attempt ${attempt} failed`);
        await repairer.runOnce();
        expect(await lockOf(ruleId, file, rses[0].id)).toMatchObject({ state: LockState.REPLICATING, repair_cnt: attempt });
      }
      await failLock(ruleId, file, rses[0].id, 'attempt 4 failed');
      await repairer.runOnce();
      const row = await ruleRow(t.db.dataSource, ruleId);
      expect(row).toMatchObject({ state: RuleState.SUSPENDED, repair_cnt: 3, stuck: 1 });
      expect(row!.error).toMatch(/^Suspended after 3 repair attempt\(s\); last error: attempt 4 failed/);
      expect(repairer.logger.lines.some((l) => l.startsWith(`warn rule ${ruleId} SUSPENDED`))).toBe(true);
      expect(await lockOf(ruleId, file, rses[0].id)).toMatchObject({ state: LockState.STUCK, error: 'attempt 4 failed' });
      // Suspended rules are left alone.
      expect(await t.repair.dueRuleIds()).not.toContain(ruleId);
      expect(await inconsistencies(t.db.dataSource)).toEqual([]);
    } finally {
      await t.db.dataSource.query(`DELETE FROM configs WHERE section = 'repairer' AND opt = 'max_attempts'`);
    }
  });

  it('waits base * 2^attempts (at most max) between attempts', async () => {
    await setConfig('backoff_base_seconds', 600);
    await setConfig('backoff_max_seconds', 3000);
    try {
      const ds = await dataset(1);
      const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'RP_C'));
      await failLock(ruleId, ds.files[0].name, rses[2].id, 'failed');
      const ago = (seconds: number) => t.db.dataSource.query(`UPDATE rules SET stuck_at = now() - make_interval(secs => $2) WHERE id = $1`, [ruleId, seconds]);
      const setCount = (count: number) => t.db.dataSource.query(`UPDATE rules SET repair_cnt = $2 WHERE id = $1`, [ruleId, count]);
      await ago(500);
      expect(await t.repair.dueRuleIds()).not.toContain(ruleId);
      await ago(700);
      expect(await t.repair.dueRuleIds()).toContain(ruleId);
      await setCount(2); // 600 * 4 = 2400 s
      expect(await t.repair.dueRuleIds()).not.toContain(ruleId);
      await ago(2500);
      expect(await t.repair.dueRuleIds()).toContain(ruleId);
      await setCount(5); // 600 * 32, capped at 3000 s
      expect(await t.repair.dueRuleIds()).not.toContain(ruleId);
      await ago(3100);
      expect(await t.repair.dueRuleIds()).toContain(ruleId);
      const outcome = await t.repair.repairRule(ruleId);
      expect(outcome).toMatchObject({ attempt: 6, retried: 1 });
      expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, repair_cnt: 6 });
    } finally {
      await setConfig('backoff_base_seconds', 0);
    }
  });

  it('repairs a rule on a dataset that keeps growing (pending attachments do not hold it back)', async () => {
    const ds = await dataset(2);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'RP_B'));
    await failLock(ruleId, ds.files[0].name, rses[1].id, 'failed once');
    for (let i = 0; i < 3; i++) {
      const more = await createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count: 2, prefix: `grow${++n}`, bytes: 10 });
      await t.dids.attach(t.user.issuer, [{ scope: ds.scope, name: ds.name, dids: more }]);
    }
    const [{ pending }] = await t.db.dataSource.query(`SELECT count(*)::int AS pending FROM updated_dids WHERE name = $1`, [ds.name]);
    expect(pending).toBe(3);
    const outcome = await t.repair.repairRule(ruleId);
    // Retried, and the files attached meanwhile are placed too (the evaluator will find nothing left to do).
    expect(outcome).toMatchObject({ retried: 1, placed: 6, state: RuleState.REPLICATING });
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ replicating: 8, stuck: 0 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });
});
