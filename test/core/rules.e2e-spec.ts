import { TestingModule } from '@nestjs/testing';
import { EPOCH_TOMBSTONE, Forbidden, LockState, ReplicaState, RuleState, TarnError } from '@tarn/domain';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { unitOfWork } from '@tarn/catalogue';
import { collectRows } from '@tarn/core/dids/row-stream.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createAccount, CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createContainer, createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, readRequests, ruleSpec } from '@tarn/testing/factories/rule.factory.js';

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('RuleService', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let rules: RuleService;
  let replicas: ReplicaService;
  let admin: CreatedAccount;
  let jdoe: CreatedAccount;
  let alice: CreatedAccount;
  let scope: string;
  let a: CreatedRse, b: CreatedRse, c: CreatedRse;
  let n = 0;

  const dataset = (files = 3, bytes = 100) => createDataset(db.dataSource, { scope, account: jdoe.account, files, bytes, name: `ds.${++n}` });
  const accountUsage = async (account: string, rse: CreatedRse) => {
    const rows = await db.dataSource.query(`SELECT files, bytes FROM account_usage WHERE account = $1 AND rse_id = $2`, [account, rse.id]);
    return rows.length === 0 ? { files: 0, bytes: 0 } : { files: Number(rows[0].files), bytes: Number(rows[0].bytes) };
  };
  const history = (ruleId: string) =>
    db.dataSource.query(`SELECT name, dest_rse_id, state, err_msg FROM requests_history WHERE rule_id = $1 ORDER BY name`, [ruleId]);

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [RulesModule, ReplicasModule]);
    rules = moduleRef.get(RuleService);
    replicas = moduleRef.get(ReplicaService);
    admin = await createAccount(db.dataSource, { account: 'root', admin: true });
    jdoe = await createAccount(db.dataSource, { account: 'jdoe' });
    alice = await createAccount(db.dataSource, { account: 'alice' });
    ({ scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: jdoe.account }));
    a = await createRse(db.dataSource, { rse: 'R_A', attributes: { tier: 1 } });
    b = await createRse(db.dataSource, { rse: 'R_B', attributes: { tier: 1 } });
    c = await createRse(db.dataSource, { rse: 'R_C', attributes: { tier: 2 } });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('addRules', () => {
    it('locks every file of a dataset, creates COPYING replicas, queues transfers and counts usage', async () => {
      const ds = await dataset(3, 100);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { activity: 'T0 Export', priority: 4 }));

      const rule = await rules.getRule(jdoe.issuer, id);
      expect(rule).toMatchObject({
        account: 'jdoe', scope, name: ds.name, state: RuleState.REPLICATING, copies: 1, rseExpression: 'R_A',
        locksOkCnt: 0, locksReplicatingCnt: 3, locksStuckCnt: 0, activity: 'T0 Export', priority: 4, expiresAt: null,
      });
      const locks = await readLocks(db.dataSource, id);
      expect(locks.map((l) => [l.name, l.rseId, l.state])).toEqual(ds.files.map((f) => [f.name, a.id, LockState.REPLICATING]));
      const rows = (await readReplicas(db.dataSource, scope)).filter((r) => ds.files.some((f) => f.name === r.name));
      expect(rows.map((r) => [r.rseId, r.state, r.lockCnt, r.tombstone])).toEqual(ds.files.map(() => [a.id, ReplicaState.COPYING, 1, null]));
      const requests = (await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === id);
      expect(requests.map((r) => [r.name, r.destRseId, r.state])).toEqual(ds.files.map((f) => [f.name, a.id, 'Q']));
      const [request] = await db.dataSource.query(`SELECT activity, priority, account, bytes, adler32 FROM requests WHERE id = $1`, [requests[0].id]);
      expect(request).toMatchObject({ activity: 'T0 Export', priority: 4, account: 'jdoe', bytes: '100', adler32: ds.files[0].adler32 });
      const [datasetLock] = await db.dataSource.query(`SELECT scope, name, rse_id, state, length, bytes FROM dataset_locks WHERE rule_id = $1`, [id]);
      expect(datasetLock).toMatchObject({ scope, name: ds.name, rse_id: a.id, state: 'R', length: '3', bytes: '300' });
      expect(await accountUsage('jdoe', a)).toEqual({ files: 3, bytes: 300 });

      const created = (await readEvents(db.dataSource, 'rule.created')).find((e) => e.ruleId === id);
      expect(created).toMatchObject({ scope, name: ds.name, account: 'jdoe', rseExpression: 'R_A', copies: 1, state: 'REPLICATING' });
      const queued = (await readEvents(db.dataSource, 'transfer.queued')).filter((e) => e.ruleId === id);
      expect(queued).toEqual([{ ruleId: id, destRseId: a.id, count: 3 }]);
    });

    it('gives OK locks on AVAILABLE replicas: lock_cnt + 1, tombstone cleared, no transfer, rule OK', async () => {
      const [file] = await createFiles(db.dataSource, { scope, account: jdoe.account, bytes: 50 });
      await createReplicas(db.dataSource, { rseId: b.id, files: [file], tombstone: new Date('2030-01-01T00:00:00Z') });
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(file, 'R_B'));
      expect(await rules.getRule(jdoe.issuer, id)).toMatchObject({ state: RuleState.OK, locksOkCnt: 1, locksReplicatingCnt: 0 });
      expect((await readReplicas(db.dataSource, scope, file.name))[0]).toMatchObject({ lockCnt: 1, tombstone: null, state: ReplicaState.AVAILABLE });
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.name === file.name)).toEqual([]);
      expect((await readEvents(db.dataSource, 'rule.ok')).some((e) => e.ruleId === id)).toBe(true);
    });

    it('refuses a second rule with the same DID, account, expression and copies (DuplicateRule)', async () => {
      const ds = await dataset(1);
      await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A'));
      const error = await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A')));
      expect(error.rucioClass).toBe('DuplicateRule');
      expect(error.message).toContain(`${scope}:${ds.name}`);
      // Another copy count is another rule.
      await expect(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A|R_B', { copies: 2 }))).resolves.toHaveLength(1);
    });

    it('validates the request and the issuer', async () => {
      const ds = await dataset(1);
      expect((await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { copies: 0 })))).rucioClass).toBe('InvalidReplicationRule');
      expect((await rejection(rules.addRules(jdoe.issuer, ruleSpec({ scope, name: 'nope' }, 'R_A')))).rucioClass).toBe('DataIdentifierNotFound');
      expect(await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { account: 'alice' })))).toBeInstanceOf(Forbidden);
      expect(await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { ignoreAccountLimit: true })))).toBeInstanceOf(Forbidden);
      expect((await rejection(rules.addRules(admin.issuer, ruleSpec(ds, 'R_A', { account: 'nobody' })))).rucioClass).toBe('AccountNotFound');
      expect((await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A&(')))).rucioClass).toBe('InvalidRSEExpression');
      expect((await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { grouping: 'SOME' })))).message).toMatch(/ALL, DATASET or NONE/);
      expect((await rejection(rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { lifetime: 10, expiresAt: '2040-01-01T00:00:00Z' })))).message).toMatch(/Give only one/);
      // Nothing was written by the failed calls.
      expect(await rules.listRulesOfDid(jdoe.issuer, ds)).toEqual([]);
    });

    it('lets an administrator create a rule for another account', async () => {
      const ds = await dataset(1);
      const [id] = await rules.addRules(admin.issuer, ruleSpec(ds, 'R_B', { account: 'alice' }));
      expect((await rules.getRule(admin.issuer, id)).account).toBe('alice');
      expect(await accountUsage('alice', b)).toEqual({ files: 1, bytes: 100 });
    });

    it('sets the expiry from a lifetime or an absolute time', async () => {
      const ds = await dataset(1);
      const before = Date.now();
      const [byLifetime] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { lifetime: 3600 }));
      const expiresAt = (await rules.getRule(jdoe.issuer, byLifetime)).expiresAt!.getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
      const [byDate] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_B', { expiresAt: '2040-01-31T12:00:00Z' }));
      expect((await rules.getRule(jdoe.issuer, byDate)).expiresAt).toEqual(new Date('2040-01-31T12:00:00Z'));
    });

    it('keeps ask_approval rules WAITING_APPROVAL without locks until an administrator approves or denies', async () => {
      const ds = await dataset(2);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_C', { askApproval: true }));
      expect(await rules.getRule(jdoe.issuer, id)).toMatchObject({ state: RuleState.WAITING_APPROVAL, locksReplicatingCnt: 0 });
      expect(await readLocks(db.dataSource, id)).toEqual([]);
      expect(await rejection(rules.approveRule(jdoe.issuer, id))).toBeInstanceOf(Forbidden);

      const approved = await rules.approveRule(admin.issuer, id);
      expect(approved).toMatchObject({ state: RuleState.REPLICATING, locksReplicatingCnt: 2, ignoreAccountLimit: true });
      expect(await readLocks(db.dataSource, id)).toHaveLength(2);
      expect((await rejection(rules.approveRule(admin.issuer, id))).rucioClass).toBe('UnsupportedOperation');

      const [denied] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { askApproval: true }));
      await rules.denyRule(admin.issuer, denied, 'no space for this');
      expect((await rejection(rules.getRule(jdoe.issuer, denied))).rucioClass).toBe('RuleNotFound');
    });

    it('leaves asynchronous rules to the injector (INJECT), which places them once', async () => {
      const ds = await dataset(2);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { asynchronous: true }));
      expect(await rules.getRule(jdoe.issuer, id)).toMatchObject({ state: RuleState.INJECT });
      expect(await readLocks(db.dataSource, id)).toEqual([]);
      expect(await rules.injectRule(id)).toBe(true);
      expect(await rules.getRule(jdoe.issuer, id)).toMatchObject({ state: RuleState.REPLICATING, locksReplicatingCnt: 2 });
      expect(await readLocks(db.dataSource, id)).toHaveLength(2);
      expect(await rules.injectRule(id)).toBe(false);
    });

    it('leaves an injected rule STUCK with the reason when its placement fails', async () => {
      const ds = await dataset(2, 500);
      // 10 bytes of quota left on R_C: enough to pass the creation-time check, too little for the 1000-byte dataset.
      const used = (await accountUsage('jdoe', c)).bytes;
      await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('jdoe', $1, $2)`, [c.id, used + 10]);
      try {
        const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'tier=2', { asynchronous: true }));
        // The creation-time check sees no group yet; the injector finds 1000 bytes do not fit in 10.
        expect(await rules.injectRule(id)).toBe(true);
        const rule = await rules.getRule(jdoe.issuer, id);
        expect(rule.state).toBe(RuleState.STUCK);
        expect(rule.error).toMatch(/R_C/);
        expect(await readLocks(db.dataSource, id)).toEqual([]);
      } finally {
        await db.dataSource.query(`DELETE FROM account_limits WHERE account = 'jdoe'`);
      }
    });

    it('sends rules with more files than configs rules/inject_threshold to the injector', async () => {
      const ds = await dataset(3);
      await db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('rules', 'inject_threshold', '2')`);
      try {
        const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A'));
        expect((await rules.getRule(jdoe.issuer, id)).state).toBe(RuleState.INJECT);
      } finally {
        await db.dataSource.query(`DELETE FROM configs WHERE section = 'rules'`);
      }
    });
  });

  describe('reads', () => {
    it('lists rules by account, DID and state, the locks of a rule, and the rules protecting a file', async () => {
      const { scope: other } = await createScope(db.dataSource, { scope: 'user.reads', account: alice.account });
      const ds = await createDataset(db.dataSource, { scope: other, account: alice.account, files: 2, bytes: 10 });
      const container = await createContainer(db.dataSource, { scope: other, account: alice.account, children: [ds] });
      const [onDataset] = await rules.addRules(alice.issuer, ruleSpec(ds, 'R_A'));
      const [onContainer] = await rules.addRules(alice.issuer, ruleSpec(container, 'R_B'));
      const [onFile] = await rules.addRules(alice.issuer, ruleSpec(ds.files[0], 'R_C', { comment: 'keep' }));

      const mine = await collectRows(await rules.listRules(alice.issuer, { account: 'alice', scope: other }));
      expect(mine.map((r) => r.id)).toEqual([onDataset, onContainer, onFile]);
      expect((await collectRows(await rules.listRules(alice.issuer, { scope: other, name: ds.name }))).map((r) => r.id)).toEqual([onDataset]);
      expect((await collectRows(await rules.listRules(alice.issuer, { scope: other, state: 'REPLICATING' }))).length).toBe(3);
      expect(await collectRows(await rules.listRules(alice.issuer, { scope: other, state: 'OK' }))).toEqual([]);

      const locks = await collectRows(await rules.listRuleLocks(alice.issuer, onContainer));
      expect(locks.map((l) => [l.name, l.rse, l.state, l.error])).toEqual(ds.files.map((f) => [f.name, 'R_B', LockState.REPLICATING, null]));

      expect((await rules.listRulesOfDid(alice.issuer, ds)).map((r) => r.id)).toEqual([onDataset]);
      const associated = await rules.listAssociatedRules(alice.issuer, ds.files[0]);
      expect(associated.map((r) => r.id).sort()).toEqual([onDataset, onContainer, onFile].sort());
      expect((await rules.listAssociatedRules(alice.issuer, ds.files[1])).map((r) => r.id).sort()).toEqual([onDataset, onContainer].sort());
      expect((await rejection(rules.listRulesOfDid(alice.issuer, { scope: other, name: 'nope' }))).rucioClass).toBe('DataIdentifierNotFound');
    });
  });

  describe('updateRule', () => {
    it('changes lifetime, expiry, locked, comment, activity and priority (also of queued transfers)', async () => {
      const ds = await dataset(2);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A'));
      const updated = await rules.updateRule(jdoe.issuer, id, { lifetime: 600, locked: true, comment: 'hold', activity: 'Express', priority: 5 });
      expect(updated).toMatchObject({ locked: true, comments: 'hold', activity: 'Express', priority: 5 });
      expect(updated.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 590_000);
      const queued = await db.dataSource.query(`SELECT DISTINCT activity, priority FROM requests WHERE rule_id = $1`, [id]);
      expect(queued).toEqual([{ activity: 'Express', priority: 5 }]);

      expect((await rules.updateRule(jdoe.issuer, id, { expiresAt: '2041-05-01T00:00:00Z' })).expiresAt).toEqual(new Date('2041-05-01T00:00:00Z'));
      expect((await rules.updateRule(jdoe.issuer, id, { lifetime: null })).expiresAt).toBeNull();
      expect((await rejection(rules.updateRule(jdoe.issuer, id, { priority: 9 }))).message).toMatch(/1 \(lowest\) to 5/);
      expect(await rejection(rules.updateRule(alice.issuer, id, { comment: 'mine' }))).toBeInstanceOf(Forbidden);
    });

    it('suspends and resumes a rule', async () => {
      const ds = await dataset(1);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_B'));
      expect((await rules.updateRule(jdoe.issuer, id, { state: 'SUSPENDED' })).state).toBe(RuleState.SUSPENDED);
      expect((await rules.updateRule(jdoe.issuer, id, { state: 'REPLICATING' })).state).toBe(RuleState.REPLICATING);
      expect((await rejection(rules.updateRule(jdoe.issuer, id, { state: 'INJECT' }))).rucioClass).toBe('UnsupportedStatus');
    });

    it('moves a rule to another account with its locks and usage (administrators only)', async () => {
      const ds = await dataset(2, 70);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_C'));
      const aliceBefore = await accountUsage('alice', c);
      const jdoeBefore = await accountUsage('jdoe', c);
      expect(await rejection(rules.updateRule(jdoe.issuer, id, { account: 'alice' }))).toBeInstanceOf(Forbidden);
      expect((await rules.updateRule(admin.issuer, id, { account: 'alice' })).account).toBe('alice');
      expect(await accountUsage('alice', c)).toEqual({ files: aliceBefore.files + 2, bytes: aliceBefore.bytes + 140 });
      expect(await accountUsage('jdoe', c)).toEqual({ files: jdoeBefore.files - 2, bytes: jdoeBefore.bytes - 140 });
      const owners = await db.dataSource.query(`SELECT DISTINCT account FROM locks WHERE rule_id = $1`, [id]);
      expect(owners).toEqual([{ account: 'alice' }]);
    });
  });

  describe('deleteRule and expireRule', () => {
    it('refuses to delete a locked rule, saying to unlock it first', async () => {
      const ds = await dataset(1);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { locked: true }));
      const error = await rejection(rules.deleteRule(jdoe.issuer, id));
      expect(error.rucioClass).toBe('UnsupportedOperation');
      expect(error.message).toMatch(/locked.*Unlock it first/);
      expect(await rejection(rules.deleteRule(alice.issuer, id))).toBeInstanceOf(Forbidden);
      await rules.updateRule(jdoe.issuer, id, { locked: false });
      await expect(rules.deleteRule(jdoe.issuer, id)).resolves.toMatchObject({ locksRemoved: 1 });
    });

    it('tombstones released AVAILABLE replicas at their last access (or now), and at the epoch when purging', async () => {
      const files = await createFiles(db.dataSource, { scope, account: jdoe.account, count: 3, bytes: 10 });
      const accessed = new Date('2024-03-01T10:00:00Z');
      await createReplicas(db.dataSource, { rseId: a.id, files: files.slice(0, 2), accessedAt: accessed });
      await createReplicas(db.dataSource, { rseId: a.id, files: files.slice(2) });
      const ds = await createDataset(db.dataSource, { scope, account: jdoe.account, files });
      const [keep] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A'));
      expect((await rules.getRule(jdoe.issuer, keep)).state).toBe(RuleState.OK);

      const before = Date.now();
      await rules.deleteRule(jdoe.issuer, keep);
      const rows = await Promise.all(files.map((f) => readReplicas(db.dataSource, scope, f.name).then((r) => r[0])));
      expect(rows.map((r) => [r.lockCnt, r.state])).toEqual(files.map(() => [0, ReplicaState.AVAILABLE]));
      expect(rows[0].tombstone).toEqual(accessed);
      expect(rows[1].tombstone).toEqual(accessed);
      expect(rows[2].tombstone!.getTime()).toBeGreaterThanOrEqual(before - 1000);

      const [purge] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { purgeReplicas: true }));
      expect((await readReplicas(db.dataSource, scope, files[0].name))[0]).toMatchObject({ lockCnt: 1, tombstone: null });
      await rules.deleteRule(jdoe.issuer, purge);
      for (const f of files) expect((await readReplicas(db.dataSource, scope, f.name))[0].tombstone).toEqual(EPOCH_TOMBSTONE);
      expect((await readEvents(db.dataSource, 'rule.deleted')).map((e) => e.ruleId)).toEqual(expect.arrayContaining([keep, purge]));
    });

    it('keeps a replica locked by another rule (lock_cnt 1, no tombstone) and its transfer queued', async () => {
      const ds = await dataset(2, 40);
      const [first] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_B'));
      const [second] = await rules.addRules(admin.issuer, ruleSpec(ds, 'R_B', { account: 'alice' }));
      for (const f of ds.files) expect((await readReplicas(db.dataSource, scope, f.name))[0]).toMatchObject({ rseId: b.id, lockCnt: 2 });
      const requests = (await readRequests(db.dataSource, scope)).filter((r) => ds.files.some((f) => f.name === r.name));
      expect(requests.map((r) => r.ruleId)).toEqual([first, first]);
      const usage = await accountUsage('jdoe', b);

      const result = await rules.deleteRule(jdoe.issuer, first);
      expect(result).toEqual({ ruleId: first, locksRemoved: 2, transfersCancelled: 0 });
      for (const f of ds.files) {
        expect((await readReplicas(db.dataSource, scope, f.name))[0]).toMatchObject({ lockCnt: 1, tombstone: null, state: ReplicaState.COPYING });
      }
      expect((await readRequests(db.dataSource, scope)).filter((r) => ds.files.some((f) => f.name === r.name))).toHaveLength(2);
      expect(await accountUsage('jdoe', b)).toEqual({ files: usage.files - 2, bytes: usage.bytes - 80 });

      // The last rule going cancels the queued transfers and gives up the COPYING replicas.
      const last = await rules.deleteRule(admin.issuer, second);
      expect(last.transfersCancelled).toBe(2);
      expect((await readRequests(db.dataSource, scope)).filter((r) => ds.files.some((f) => f.name === r.name))).toEqual([]);
      const cancelled = await db.dataSource.query(
        `SELECT state, err_msg FROM requests_history WHERE scope = $1 AND name = ANY($2::varchar[])`,
        [scope, ds.files.map((f) => f.name)],
      );
      expect(cancelled).toHaveLength(2);
      expect(cancelled[0].state).toBe('F');
      expect(cancelled[0].err_msg).toMatch(new RegExp(`cancelled: rule ${second}`));
      for (const f of ds.files) {
        expect((await readReplicas(db.dataSource, scope, f.name))[0]).toMatchObject({ lockCnt: 0, state: ReplicaState.UNAVAILABLE, tombstone: EPOCH_TOMBSTONE });
      }
      expect(await db.dataSource.query(`SELECT 1 FROM dataset_locks WHERE rule_id = ANY($1::uuid[])`, [[first, second]])).toEqual([]);
    });

    it('expires rules whose lifetime is over and emits rule.expired; a locked rule waits until it is unlocked', async () => {
      const ds = await dataset(1);
      const [id] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_C', { lifetime: 3600, locked: true }));
      expect(await rules.expireRule(id)).toBeNull();
      await db.dataSource.query(`UPDATE rules SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      expect(await rules.expiredRuleIds()).not.toContain(id);
      expect(await rules.expireRule(id)).toBeNull();
      expect((await rules.getRule(jdoe.issuer, id)).locked).toBe(true);

      await db.dataSource.query(`UPDATE rules SET locked = false WHERE id = $1`, [id]);
      expect(await rules.expiredRuleIds()).toContain(id);
      expect(await rules.expireRule(id)).toMatchObject({ ruleId: id, locksRemoved: 1, transfersCancelled: 1 });
      expect((await rejection(rules.getRule(jdoe.issuer, id))).rucioClass).toBe('RuleNotFound');
      expect((await readEvents(db.dataSource, 'rule.expired')).map((e) => e.ruleId)).toContain(id);
      expect(await history(id)).toHaveLength(1);
    });
  });

  describe('moveRule', () => {
    it('creates a child rule and releases the parent once the child is OK', async () => {
      const ds = await dataset(2, 30);
      await createReplicas(db.dataSource, { rseId: a.id, files: ds.files });
      const [parent] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'R_A', { lifetime: 7200, comment: 'move me' }));
      const child = await rules.moveRule(jdoe.issuer, parent, 'R_B');
      expect((await rules.getRule(jdoe.issuer, parent)).childRuleId).toBe(child);
      const childRule = await rules.getRule(jdoe.issuer, child);
      expect(childRule).toMatchObject({ rseExpression: 'R_B', comments: 'move me', state: RuleState.REPLICATING, account: 'jdoe' });
      expect(childRule.expiresAt).toEqual((await rules.getRule(jdoe.issuer, parent)).expiresAt);
      expect((await rejection(rules.moveRule(jdoe.issuer, parent, 'R_C'))).rucioClass).toBe('RuleReplaceFailed');

      expect(await rules.releaseParentsOfOkChildren()).toEqual([]);
      // The copies arrive on R_B (the transfer finisher's path): the child becomes OK and the parent can go.
      const [{ id: rB }] = await db.dataSource.query(`SELECT id FROM rses WHERE rse = 'R_B'`);
      await unitOfWork(db.dataSource, { what: 'copies arrived' }, (manager) =>
        markReplicasAvailable(manager, ds.files.map((f) => ({ scope: f.scope, name: f.name, rseId: rB }))),
      );
      expect((await rules.getRule(jdoe.issuer, child)).state).toBe(RuleState.OK);
      expect(await rules.releaseParentsOfOkChildren()).toEqual([parent]);
      expect((await rejection(rules.getRule(jdoe.issuer, parent))).rucioClass).toBe('RuleNotFound');
      for (const f of ds.files) {
        const rows = await readReplicas(db.dataSource, scope, f.name);
        expect(rows.find((r) => r.rseId === a.id)).toMatchObject({ lockCnt: 0 });
        expect(rows.find((r) => r.rseId === b.id)).toMatchObject({ lockCnt: 1, state: ReplicaState.AVAILABLE });
      }
    });
  });
});
