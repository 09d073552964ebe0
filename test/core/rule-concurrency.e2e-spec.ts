import { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { createDataSource, unitOfWork } from '@tarn/catalogue';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { RuleState } from '@tarn/domain';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createAccount, CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';

/**
 * Two connection pools (two DataSources, two Nest module graphs) writing rules on the same files at the same
 * time: no lock may be lost or counted twice.
 */
describe('concurrent rule creation', () => {
  let db: TestDatabase;
  let second: DataSource;
  let moduleA: TestingModule;
  let moduleB: TestingModule;
  let rulesA: RuleService;
  let rulesB: RuleService;
  let replicasB: ReplicaService;
  let admin: CreatedAccount;
  let alice: CreatedAccount;
  let bob: CreatedAccount;
  let scope: string;
  let a: CreatedRse, b: CreatedRse;
  let n = 0;

  const dataset = (files: number) => createDataset(db.dataSource, { scope, account: admin.account, files, bytes: 10, name: `ds.${++n}` });

  /** Per replica of the dataset: lock_cnt and the number of lock rows; they must agree. */
  const lockCounts = (names: string[]) =>
    db.dataSource.query(
      `SELECT r.name, r.rse_id, r.lock_cnt, (SELECT count(*)::int FROM locks l WHERE l.scope = r.scope AND l.name = r.name AND l.rse_id = r.rse_id) AS locks
         FROM replicas r WHERE r.scope = $1 AND r.name = ANY($2::varchar[]) ORDER BY r.name, r.rse_id`,
      [scope, names],
    );
  /** Rules whose counters disagree with their lock rows. */
  const driftedRules = () =>
    db.dataSource.query(
      `SELECT r.id FROM rules r
        WHERE r.locks_ok_cnt <> (SELECT count(*) FROM locks l WHERE l.rule_id = r.id AND l.state = 'O')
           OR r.locks_replicating_cnt <> (SELECT count(*) FROM locks l WHERE l.rule_id = r.id AND l.state = 'R')
           OR r.locks_stuck_cnt <> (SELECT count(*) FROM locks l WHERE l.rule_id = r.id AND l.state = 'S')`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    second = createDataSource({ url: db.url, applicationName: 'tarn-test-second-pool' });
    await second.initialize();
    moduleA = await createTestingModule(db, [RulesModule, ReplicasModule]);
    moduleB = await createTestingModule({ ...db, dataSource: second }, [RulesModule, ReplicasModule]);
    rulesA = moduleA.get(RuleService);
    rulesB = moduleB.get(RuleService);
    replicasB = moduleB.get(ReplicaService);
    admin = await createAccount(db.dataSource, { account: 'root', admin: true });
    alice = await createAccount(db.dataSource, { account: 'alice' });
    bob = await createAccount(db.dataSource, { account: 'bob' });
    ({ scope } = await createScope(db.dataSource, { scope: 'data.shared', account: admin.account }));
    a = await createRse(db.dataSource, { rse: 'C_A' });
    b = await createRse(db.dataSource, { rse: 'C_B' });
  });

  afterAll(async () => {
    await moduleA?.close();
    await moduleB?.close();
    if (second?.isInitialized) await second.destroy();
    await db?.drop();
  });

  it('creates two rules on the same new files from two pools without losing or doubling a lock', async () => {
    for (let round = 0; round < 3; round++) {
      const ds = await dataset(300);
      const [[ruleA], [ruleB]] = await Promise.all([
        rulesA.addRules(alice.issuer, ruleSpec(ds, 'C_A|C_B', { copies: 2 })),
        rulesB.addRules(bob.issuer, ruleSpec(ds, 'C_B|C_A', { copies: 2 })),
      ]);
      const counts = await lockCounts(ds.files.map((f) => f.name));
      expect(counts).toHaveLength(600);
      expect(counts.filter((c: { lock_cnt: number; locks: number }) => c.lock_cnt !== 2 || c.locks !== 2)).toEqual([]);
      // One transfer per file and destination, shared by both rules.
      const [{ requests }] = await db.dataSource.query(
        `SELECT count(*)::int AS requests FROM requests WHERE scope = $1 AND name = ANY($2::varchar[])`,
        [scope, ds.files.map((f) => f.name)],
      );
      expect(requests).toBe(600);
      for (const id of [ruleA, ruleB]) expect((await rulesA.getRule(admin.issuer, id)).locksReplicatingCnt).toBe(600);
    }
    expect(await driftedRules()).toEqual([]);
    const usage = await db.dataSource.query(`SELECT account, rse_id, files::int, bytes::int FROM account_usage ORDER BY account, rse_id`);
    expect(usage).toEqual(
      [
        { account: 'alice', rse_id: a.id, files: 900, bytes: 9000 },
        { account: 'alice', rse_id: b.id, files: 900, bytes: 9000 },
        { account: 'bob', rse_id: a.id, files: 900, bytes: 9000 },
        { account: 'bob', rse_id: b.id, files: 900, bytes: 9000 },
      ].sort((x, y) => (x.account + x.rse_id < y.account + y.rse_id ? -1 : 1)),
    );
  });

  it('locks existing AVAILABLE replicas from two pools: lock_cnt counts both rules', async () => {
    const ds = await dataset(200);
    await createReplicas(db.dataSource, { rseId: a.id, files: ds.files, tombstone: new Date('2030-01-01T00:00:00Z') });
    const [[ruleA], [ruleB]] = await Promise.all([
      rulesA.addRules(alice.issuer, ruleSpec(ds, 'C_A')),
      rulesB.addRules(bob.issuer, ruleSpec(ds, 'C_A')),
    ]);
    const counts = await lockCounts(ds.files.map((f) => f.name));
    expect(counts.filter((c: { lock_cnt: number; locks: number }) => c.lock_cnt !== 2 || c.locks !== 2)).toEqual([]);
    const [{ tombstones }] = await db.dataSource.query(
      `SELECT count(*)::int AS tombstones FROM replicas WHERE scope = $1 AND name = ANY($2::varchar[]) AND tombstone IS NOT NULL`,
      [scope, ds.files.map((f) => f.name)],
    );
    expect(tombstones).toBe(0);
    for (const id of [ruleA, ruleB]) expect(await rulesA.getRule(admin.issuer, id)).toMatchObject({ state: RuleState.OK, locksOkCnt: 200 });
  });

  it('keeps locks and replicas consistent when a rule and a registration of the same files race', async () => {
    for (let round = 0; round < 3; round++) {
      const ds = await dataset(200);
      const [[ruleId]] = await Promise.all([
        rulesA.addRules(alice.issuer, ruleSpec(ds, 'C_B')),
        replicasB.addReplicas(admin.issuer, 'C_B', ds.files.map((f) => ({ scope: f.scope, name: f.name, bytes: f.bytes }))),
      ]);
      // Whichever committed first, every replica waits for its verification (COPYING) with one REPLICATING lock.
      const pending = await db.dataSource.query(
        `SELECT r.state AS replica, r.lock_cnt, l.state AS lock, v.rse_id IS NOT NULL AS queued
           FROM replicas r JOIN locks l ON l.scope = r.scope AND l.name = r.name AND l.rse_id = r.rse_id
           LEFT JOIN replica_verifications v ON v.scope = r.scope AND v.name = r.name AND v.rse_id = r.rse_id
          WHERE l.rule_id = $1`,
        [ruleId],
      );
      expect(pending).toHaveLength(200);
      expect(pending.filter((r: { replica: string; lock_cnt: number; lock: string; queued: boolean }) => r.replica !== 'C' || r.lock_cnt !== 1 || r.lock !== 'R' || !r.queued)).toEqual([]);
      // The replica-registrar verified them: every replica is AVAILABLE with one lock, and every lock is OK.
      await unitOfWork(db.dataSource, { what: 'verified' }, (manager) =>
        markReplicasAvailable(manager, ds.files.map((f) => ({ scope: f.scope, name: f.name, rseId: b.id }))),
      );
      const rows = await db.dataSource.query(
        `SELECT r.state AS replica, r.lock_cnt, l.state AS lock FROM replicas r JOIN locks l ON l.scope = r.scope AND l.name = r.name AND l.rse_id = r.rse_id
          WHERE l.rule_id = $1`,
        [ruleId],
      );
      expect(rows).toHaveLength(200);
      expect(rows.filter((r: { replica: string; lock_cnt: number; lock: string }) => r.replica !== 'A' || r.lock_cnt !== 1 || r.lock !== 'O')).toEqual([]);
      expect(await rulesA.getRule(admin.issuer, ruleId)).toMatchObject({ state: RuleState.OK, locksOkCnt: 200, locksReplicatingCnt: 0 });
      const [{ queued }] = await db.dataSource.query(`SELECT count(*)::int AS queued FROM requests WHERE rule_id = $1`, [ruleId]);
      expect(queued).toBe(0);
    }
    expect(await driftedRules()).toEqual([]);
  });
});
