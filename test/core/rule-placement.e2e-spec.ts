import { TestingModule } from '@nestjs/testing';
import { LockState, RuleState, TarnError } from '@tarn/domain';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createAccount, CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createContainer, createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { LockRow, readLocks, readRequests, ruleSpec } from '@tarn/testing/factories/rule.factory.js';

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** RSE ids per file name. */
function rsesByFile(locks: LockRow[]): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const lock of locks) byFile.set(lock.name, [...(byFile.get(lock.name) ?? []), lock.rseId].sort());
  return byFile;
}

describe('rule placement', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let rules: RuleService;
  let admin: CreatedAccount;
  let user: CreatedAccount;
  let scope: string;
  const rses: Record<string, CreatedRse> = {};
  let n = 0;

  const dataset = (files = 4, bytes = 100) => createDataset(db.dataSource, { scope, account: user.account, files, bytes, name: `ds.${++n}` });
  /** A container of `datasets` datasets of `files` files each. */
  const container = async (datasets = 3, files = 4) => {
    const children = [];
    for (let i = 0; i < datasets; i++) children.push(await dataset(files));
    const c = await createContainer(db.dataSource, { scope, account: user.account, name: `cont.${++n}`, children });
    return { ...c, datasets: children };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [RulesModule]);
    rules = moduleRef.get(RuleService);
    admin = await createAccount(db.dataSource, { account: 'root', admin: true });
    user = await createAccount(db.dataSource, { account: 'placer' });
    ({ scope } = await createScope(db.dataSource, { scope: 'user.placer', account: user.account }));
    const add = async (name: string, input: Parameters<typeof createRse>[1]) => (rses[name] = await createRse(db.dataSource, { rse: name, ...input }));
    for (const name of ['G_1', 'G_2', 'G_3', 'G_4', 'G_5']) await add(name, { attributes: { grp: 'g' } });
    await add('W_1', { attributes: { wt: 'x', w: 1 } });
    await add('W_2', { attributes: { wt: 'x', w: 3 } });
    await add('W_3', { attributes: { wt: 'x', w: 0 } });
    await add('W_4', { attributes: { wt: 'x' } });
    for (const name of ['H_1', 'H_2', 'H_3']) await add(name, { attributes: { hold: 'h' } });
    for (const name of ['Q_1', 'Q_2']) await add(name, { attributes: { q: 'q' } });
    await add('S_1', { limits: { MinFreeSpace: 800 }, usage: [{ source: 'storage', used: 0, free: 1000 }] });
    await add('S_2', { limits: { MaxBytes: 300 } });
    await add('S_3', { limits: { MinFreeSpace: 100 }, usage: [{ source: 'storage', used: 0, free: 10_000 }] });
    await add('B_1', { availabilityWrite: false, attributes: { blk: 'b' } });
    await add('SRC_1', {});
    await add('DST_1', {});
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('grouping', () => {
    it('ALL puts every file of the DID on the same `copies` RSEs', async () => {
      const c = await container(3, 4);
      const [id] = await rules.addRules(user.issuer, ruleSpec(c, 'grp=g', { copies: 2, grouping: 'ALL' }));
      const locks = await readLocks(db.dataSource, id);
      expect(locks).toHaveLength(24);
      const sets = new Set([...rsesByFile(locks).values()].map((ids) => ids.join(',')));
      expect(sets.size).toBe(1);
      expect([...sets][0].split(',')).toHaveLength(2);
      const datasetLocks = await db.dataSource.query(`SELECT name, rse_id, length FROM dataset_locks WHERE rule_id = $1`, [id]);
      expect(datasetLocks).toHaveLength(6);
      expect(datasetLocks.every((l: { length: string }) => l.length === '4')).toBe(true);
    });

    it('DATASET keeps each dataset\'s files together on `copies` distinct RSEs', async () => {
      const c = await container(4, 3);
      const [id] = await rules.addRules(user.issuer, ruleSpec(c, 'grp=g', { copies: 2 }));
      const locks = await readLocks(db.dataSource, id);
      expect(locks).toHaveLength(24);
      const byFile = rsesByFile(locks);
      for (const ds of c.datasets) {
        const sets = new Set(ds.files.map((f) => byFile.get(f.name)!.join(',')));
        expect(sets.size).toBe(1);
        expect(byFile.get(ds.files[0].name)).toHaveLength(2);
      }
      expect(await db.dataSource.query(`SELECT 1 FROM dataset_locks WHERE rule_id = $1`, [id])).toHaveLength(8);
      expect((await rules.getRule(user.issuer, id)).locksReplicatingCnt).toBe(24);
    });

    it('NONE places each file on its own, on `copies` distinct RSEs, without dataset locks', async () => {
      const c = await container(2, 10);
      const [id] = await rules.addRules(user.issuer, ruleSpec(c, 'grp=g', { copies: 3, grouping: 'NONE' }));
      const locks = await readLocks(db.dataSource, id);
      expect(locks).toHaveLength(60);
      for (const ids of rsesByFile(locks).values()) expect(new Set(ids).size).toBe(3);
      expect(await db.dataSource.query(`SELECT 1 FROM dataset_locks WHERE rule_id = $1`, [id])).toEqual([]);
    });

    it('places a rule on an empty dataset: no locks, dataset locks on the chosen RSEs, rule OK', async () => {
      const empty = await dataset(0);
      const [id] = await rules.addRules(user.issuer, ruleSpec(empty, 'grp=g', { copies: 2 }));
      expect(await rules.getRule(user.issuer, id)).toMatchObject({ state: RuleState.OK, locksOkCnt: 0 });
      expect(await db.dataSource.query(`SELECT state, length FROM dataset_locks WHERE rule_id = $1`, [id])).toEqual([
        { state: 'O', length: '0' },
        { state: 'O', length: '0' },
      ]);
    });
  });

  describe('weight', () => {
    it('only picks RSEs with the weight attribute, in proportion to it (never weight 0 while others weigh more)', async () => {
      const ds = await dataset(40, 10);
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'wt=x', { grouping: 'NONE', weight: 'w' }));
      const counts = new Map<string, number>();
      for (const lock of await readLocks(db.dataSource, id)) counts.set(lock.rseId, (counts.get(lock.rseId) ?? 0) + 1);
      expect([...counts.keys()].every((rseId) => [rses.W_1.id, rses.W_2.id].includes(rseId))).toBe(true);
      expect(counts.get(rses.W_2.id) ?? 0).toBeGreaterThan(counts.get(rses.W_1.id) ?? 0);
    });

    it('with weight, more copies than RSEs carrying the attribute is InsufficientTargetRSEs naming the others', async () => {
      const ds = await dataset(1);
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'wt=x', { copies: 3, weight: 'w' }));
      expect(new Set((await readLocks(db.dataSource, id)).map((l) => l.rseId))).toEqual(new Set([rses.W_1.id, rses.W_2.id, rses.W_3.id]));
      const error = await rejection(rules.addRules(user.issuer, ruleSpec(ds, 'wt=x', { copies: 4, weight: 'w' })));
      expect(error.rucioClass).toBe('InsufficientTargetRSEs');
      expect(error.message).toContain("W_4 (no 'w' attribute)");
    });
  });

  describe('preference for RSEs already holding the data', () => {
    it('chooses the RSE holding the files: OK locks, no transfers, rule OK', async () => {
      const ds = await dataset(4);
      await createReplicas(db.dataSource, { rseId: rses.H_3.id, files: ds.files });
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'hold=h'));
      const locks = await readLocks(db.dataSource, id);
      expect(locks.map((l) => [l.rseId, l.state])).toEqual(ds.files.map(() => [rses.H_3.id, LockState.OK]));
      expect(await rules.getRule(user.issuer, id)).toMatchObject({ state: RuleState.OK, locksOkCnt: 4 });
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === id)).toEqual([]);
    });

    it('prefers the RSE holding most of a dataset, and copies only what is missing there', async () => {
      const ds = await dataset(4);
      await createReplicas(db.dataSource, { rseId: rses.H_2.id, files: ds.files.slice(0, 3) });
      await createReplicas(db.dataSource, { rseId: rses.H_1.id, files: ds.files.slice(0, 1) });
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'hold=h'));
      const locks = await readLocks(db.dataSource, id);
      expect(new Set(locks.map((l) => l.rseId))).toEqual(new Set([rses.H_2.id]));
      expect(locks.filter((l) => l.state === LockState.OK)).toHaveLength(3);
      const requests = (await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === id);
      expect(requests.map((r) => [r.name, r.destRseId])).toEqual([[ds.files[3].name, rses.H_2.id]]);
      expect(await rules.getRule(user.issuer, id)).toMatchObject({ state: RuleState.REPLICATING, locksOkCnt: 3, locksReplicatingCnt: 1 });
    });
  });

  describe('quotas', () => {
    afterEach(async () => {
      await db.dataSource.query(`DELETE FROM account_limits WHERE account = 'placer'`);
      await db.dataSource.query(`DELETE FROM account_expression_limits WHERE account = 'placer'`);
    });

    it('refuses a rule beyond the account limit on the RSE (InsufficientAccountLimit naming it) and places it elsewhere', async () => {
      const ds = await dataset(4, 100);
      await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('placer', $1, 100)`, [rses.Q_1.id]);
      const error = await rejection(rules.addRules(user.issuer, ruleSpec(ds, 'Q_1')));
      expect(error.rucioClass).toBe('InsufficientAccountLimit');
      expect(error.message).toMatch(/Q_1 \(account quota left 100 B < 400 B\)/);

      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'q=q'));
      expect(new Set((await readLocks(db.dataSource, id)).map((l) => l.rseId))).toEqual(new Set([rses.Q_2.id]));
    });

    it('counts usage already locked against the limit, and expression limits', async () => {
      const ds = await dataset(2, 100);
      const [{ used }] = await db.dataSource.query(
        `SELECT coalesce(sum(bytes), 0)::int AS used FROM account_usage WHERE account = 'placer' AND rse_id = $1`,
        [rses.Q_2.id],
      );
      await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('placer', $1, $2)`, [rses.Q_2.id, used + 250]);
      await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('placer', $1, 0)`, [rses.Q_1.id]);
      const [first] = await rules.addRules(user.issuer, ruleSpec(ds, 'q=q'));
      expect(new Set((await readLocks(db.dataSource, first)).map((l) => l.rseId))).toEqual(new Set([rses.Q_2.id]));
      // 200 of the 250 bytes left are used now: another 200-byte dataset no longer fits.
      const other = await dataset(2, 100);
      expect((await rejection(rules.addRules(user.issuer, ruleSpec(other, 'q=q')))).rucioClass).toBe('InsufficientAccountLimit');

      await db.dataSource.query(`DELETE FROM account_limits WHERE account = 'placer'`);
      await db.dataSource.query(`INSERT INTO account_expression_limits (account, rse_expression, bytes) VALUES ('placer', 'q=q', $1)`, [used + 300]);
      expect((await rejection(rules.addRules(user.issuer, ruleSpec(other, 'q=q')))).rucioClass).toBe('InsufficientAccountLimit');
    });

    it('does not hold administrators\' rules, nor rules with ignore_account_limit, to quotas', async () => {
      const ds = await dataset(4, 100);
      await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('placer', $1, 0), ('root', $1, 0)`, [rses.Q_1.id]);
      await expect(rules.addRules(admin.issuer, ruleSpec(ds, 'Q_1'))).resolves.toHaveLength(1);
      expect((await rejection(rules.addRules(admin.issuer, ruleSpec(ds, 'Q_1', { account: 'placer' })))).rucioClass).toBe('InsufficientAccountLimit');
      const [id] = await rules.addRules(admin.issuer, ruleSpec(ds, 'Q_1', { account: 'placer', ignoreAccountLimit: true }));
      expect(await readLocks(db.dataSource, id)).toHaveLength(4);
      await db.dataSource.query(`DELETE FROM account_limits WHERE account = 'root'`);
    });
  });

  describe('space', () => {
    it('refuses an RSE whose free space less MinFreeSpace cannot take the data (RSEOverQuota naming it)', async () => {
      const ds = await dataset(4, 100);
      const error = await rejection(rules.addRules(user.issuer, ruleSpec(ds, 'S_1')));
      expect(error.rucioClass).toBe('RSEOverQuota');
      expect(error.message).toMatch(/S_1 \(free space 200 B < 400 B to copy there\)/);
      // MaxBytes 300 with nothing used: 300 bytes free.
      expect((await rejection(rules.addRules(user.issuer, ruleSpec(ds, 'S_2')))).message).toMatch(/S_2 \(free space 300 B < 400 B/);
      await expect(rules.addRules(user.issuer, ruleSpec(ds, 'S_1|S_3'))).resolves.toHaveLength(1);
    });

    it('does not count files already on the RSE against its space', async () => {
      const ds = await dataset(4, 100);
      await createReplicas(db.dataSource, { rseId: rses.S_1.id, files: ds.files.slice(0, 2) });
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'S_1'));
      expect(await readLocks(db.dataSource, id)).toHaveLength(4);
    });
  });

  describe('availability and sources', () => {
    it('skips RSEs not available for writing unless ignore_availability', async () => {
      const ds = await dataset(2);
      expect((await rejection(rules.addRules(user.issuer, ruleSpec(ds, 'B_1')))).rucioClass).toBe('RSEWriteBlocked');
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'B_1', { ignoreAvailability: true }));
      expect((await readLocks(db.dataSource, id)).map((l) => [l.rseId, l.state])).toEqual(ds.files.map(() => [rses.B_1.id, LockState.REPLICATING]));
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === id)).toHaveLength(2);
    });

    it('makes locks without a source on source_replica_expression STUCK, with the reason on the rule', async () => {
      const ds = await dataset(3);
      await createReplicas(db.dataSource, { rseId: rses.SRC_1.id, files: ds.files.slice(0, 1) });
      const [id] = await rules.addRules(user.issuer, ruleSpec(ds, 'DST_1', { sourceReplicaExpression: 'SRC_1' }));
      const rule = await rules.getRule(user.issuer, id);
      expect(rule).toMatchObject({ state: RuleState.STUCK, locksReplicatingCnt: 1, locksStuckCnt: 2 });
      expect(rule.error).toMatch(/2 without an AVAILABLE source replica on 'SRC_1'/);
      expect(rule.stuckAt).toBeInstanceOf(Date);
      const requests = (await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === id);
      expect(requests.map((r) => r.name)).toEqual([ds.files[0].name]);
      const [attributes] = await db.dataSource.query(`SELECT attributes FROM requests WHERE id = $1`, [requests[0].id]);
      expect(attributes.attributes).toEqual({ source_replica_expression: 'SRC_1' });
    });
  });
});
