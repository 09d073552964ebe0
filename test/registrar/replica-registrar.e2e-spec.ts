import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { TestingModule } from '@nestjs/testing';
import { hashPath, LockState, ReplicaState, RuleState } from '@tarn/domain';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { recordVerifications, ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createAccount, CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { readEvents, readLocks, readRequests, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createStoredFiles, specOf, writeStoredFile } from '@tarn/testing/factories/stored-file.factory.js';
import { ReplicaRegistrarWorker } from '../../apps/replica-registrar/src/replica-registrar.worker.js';
import { recordingLogger, testRunner, type TestRunner } from '../daemons/support/rule-daemons-fixtures.js';

const posix = (root: string) => ({ scheme: 'file', hostname: 'localhost', prefix: root, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 } } });

describe('replica-registrar', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let replicas: ReplicaService;
  let rules: RuleService;
  let registrar: TestRunner;
  let admin: CreatedAccount;
  let jdoe: CreatedAccount;
  let scope: string;
  let dirA: { root: string; drop(): Promise<void> };
  let dirB: { root: string; drop(): Promise<void> };
  let siteA: CreatedRse;
  let siteB: CreatedRse;

  const verification = (name: string, rseId: string) =>
    db.dataSource.query(`SELECT account, attempts, last_error FROM replica_verifications WHERE scope = $1 AND name = $2 AND rse_id = $3`, [scope, name, rseId]);
  const stateOf = async (name: string, rseId: string) => (await readReplicas(db.dataSource, scope, name)).find((r) => r.rseId === rseId)?.state;

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [ReplicasModule, RulesModule]);
    replicas = moduleRef.get(ReplicaService);
    rules = moduleRef.get(RuleService);
    const worker = new ReplicaRegistrarWorker(moduleRef.get(ReplicaRegistrarService), null, { intervalMs: 60_000, batchSize: 50, concurrency: 4, leaseSeconds: 600 });
    registrar = testRunner(db.dataSource, worker, recordingLogger());
    admin = await createAccount(db.dataSource, { account: 'root', admin: true });
    jdoe = await createAccount(db.dataSource, { account: 'jdoe' });
    ({ scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: jdoe.account }));
    dirA = await createTestDirectory();
    dirB = await createTestDirectory();
    siteA = await createRse(db.dataSource, { rse: 'SITE_A', protocols: [posix(dirA.root)] });
    siteB = await createRse(db.dataSource, { rse: 'SITE_B', protocols: [posix(dirB.root)] });
  });

  afterAll(async () => {
    await registrar?.stop();
    await moduleRef?.close();
    await db?.drop();
    await dirA?.drop();
    await dirB?.drop();
  });

  it('records a verdict on a replica that another transaction changed while the registrar waited for its row', async () => {
    const fs = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 2, bytes: 512, prefix: 'raced' });
    await replicas.addReplicas(jdoe.issuer, 'SITE_A', fs.map((f) => ({ scope, name: f.name, bytes: f.bytes, adler32: f.adler32 })));
    // A rule's transaction holds the first replica's row and changes it (its lock count) ...
    const rule = db.dataSource.createQueryRunner();
    await rule.connect();
    await rule.startTransaction();
    try {
      await rule.query(`UPDATE replicas SET lock_cnt = lock_cnt + 1 WHERE scope = $1 AND name = $2 AND rse_id = $3`, [scope, fs[0].name, siteA.id]);
      // ... while the registrar records both verdicts: it waits for that row, then must write its new version.
      const recording = db.dataSource.transaction((manager) =>
        recordVerifications(manager, fs.map((f) => ({ scope, name: f.name, rseId: siteA.id, verdict: 'ok' as const }))),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await rule.commitTransaction();
      expect((await recording).map((r) => r.name).sort()).toEqual(fs.map((f) => f.name).sort());
    } finally {
      await rule.release();
    }
    for (const f of fs) expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.AVAILABLE);
    expect((await readReplicas(db.dataSource, scope, fs[0].name)).find((r) => r.rseId === siteA.id)?.lockCnt).toBe(1);
  });

  it('keeps announced replicas COPYING until verified on storage, then makes them AVAILABLE (replica.available)', async () => {
    const fs = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 3, bytes: 2048 });
    const result = await replicas.addReplicas(jdoe.issuer, 'SITE_A', fs.map((f) => ({ scope, name: f.name, bytes: f.bytes, adler32: f.adler32 })));
    expect(result).toEqual({ registered: 3, inserted: 3, filesCreated: 0, announced: 3 });
    for (const f of fs) {
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING);
      expect(await verification(f.name, siteA.id)).toEqual([{ account: 'jdoe', attempts: 0, last_error: null }]);
    }
    expect((await readEvents(db.dataSource, 'replica.available')).filter((e) => fs.some((f) => f.name === e.name))).toEqual([]);
    expect((await readEvents(db.dataSource, 'replica.announced')).filter((e) => e.rseId === siteA.id).at(-1)).toEqual({ rse: 'SITE_A', rseId: siteA.id, count: 3 });

    const pass = await registrar.runOnce();
    expect(pass.items).toBe(3);
    for (const f of fs) {
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.AVAILABLE);
      expect(await verification(f.name, siteA.id)).toEqual([]);
    }
    const available = (await readEvents(db.dataSource, 'replica.available')).filter((e) => fs.some((f) => f.name === e.name));
    expect(available.map((e) => e.name).sort()).toEqual(fs.map((f) => f.name).sort());
    expect(registrar.logger.lines.some((l) => l.includes('3 AVAILABLE, 0 BAD, 0 never written (dropped), 0 postponed'))).toBe(true);
  });

  it('computes adler32 from the storage when the caller gave none, and fills it in on the replica and its new file', async () => {
    const content = randomBytes(70_000);
    const spec = await specOf(scope, 'uploaded.no.checksum', content);
    await writeStoredFile(dirA.root, scope, spec.name, content);
    const result = await replicas.addReplicas(jdoe.issuer, 'SITE_A', [{ scope, name: spec.name, bytes: spec.bytes }], { createMissingFiles: true });
    expect(result).toMatchObject({ filesCreated: 1, announced: 1 });
    expect(await db.dataSource.query(`SELECT adler32 FROM dids WHERE scope = $1 AND name = $2`, [scope, spec.name])).toEqual([{ adler32: null }]);
    await registrar.runOnce();
    expect(await stateOf(spec.name, siteA.id)).toBe(ReplicaState.AVAILABLE);
    expect(await db.dataSource.query(`SELECT adler32 FROM dids WHERE scope = $1 AND name = $2`, [scope, spec.name])).toEqual([{ adler32: spec.adler32 }]);
    expect(await db.dataSource.query(`SELECT adler32 FROM replicas WHERE scope = $1 AND name = $2`, [scope, spec.name])).toEqual([{ adler32: spec.adler32 }]);
  });

  it('marks a replica BAD with the reason when its size or checksum differs or the file is missing (bad_replicas, replica.bad)', async () => {
    const [sized, summed, missing] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 3, bytes: 500 });
    await writeStoredFile(dirA.root, scope, sized.name, randomBytes(499)); // truncated on the storage
    await writeStoredFile(dirA.root, scope, summed.name, randomBytes(500)); // same size, other content
    await rm(`${dirA.root}/${hashPath(scope, missing.name)}`);
    await replicas.addReplicas(jdoe.issuer, 'SITE_A', [sized, summed, missing].map((f) => ({ scope, name: f.name, bytes: f.bytes })));
    await registrar.runOnce();
    const bad = await db.dataSource.query(
      `SELECT name, state, reason, account FROM bad_replicas WHERE scope = $1 AND name = ANY($2::varchar[]) ORDER BY name`,
      [scope, [sized.name, summed.name, missing.name]],
    );
    const reasons = Object.fromEntries(bad.map((b: { name: string; reason: string }) => [b.name, b.reason]));
    expect(reasons[sized.name]).toBe('size mismatch: the storage has 499 bytes, the catalogue 500');
    expect(reasons[summed.name]).toMatch(new RegExp(`^adler32 mismatch: the storage has [0-9a-f]{8}, the catalogue ${summed.adler32}$`));
    expect(reasons[missing.name]).toMatch(/^missing on storage \(file:\/\/localhost.*\)$/);
    // Declared by the announcing account; the same pass then found no other copy to recover them from: LOST.
    expect(bad.map((b: { state: string; account: string }) => [b.state, b.account])).toEqual([['L', 'jdoe'], ['L', 'jdoe'], ['L', 'jdoe']]);
    for (const f of [sized, summed, missing]) {
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.BAD);
      expect(await verification(f.name, siteA.id)).toEqual([]);
    }
    const events = (await readEvents(db.dataSource, 'replica.bad')).filter((e) => e.name === summed.name);
    expect(events).toEqual([{ scope, name: summed.name, rse: 'SITE_A', rseId: siteA.id, reason: reasons[summed.name] }]);
  });

  it('satisfies the rule lock waiting for an announced replica only once it is verified', async () => {
    const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirB.root, count: 1 });
    const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(f, 'SITE_B'));
    expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === ruleId)).toHaveLength(1);
    await replicas.addReplicas(jdoe.issuer, 'SITE_B', [{ scope, name: f.name, bytes: f.bytes, md5: f.md5 }]);
    expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.REPLICATING, locksReplicatingCnt: 1 });
    await registrar.runOnce();
    expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.OK, locksOkCnt: 1, locksReplicatingCnt: 0 });
    expect((await readLocks(db.dataSource, ruleId)).map((l) => l.state)).toEqual([LockState.OK]);
    expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === ruleId)).toEqual([]);
    expect(await db.dataSource.query(`SELECT state FROM requests_history WHERE rule_id = $1`, [ruleId])).toEqual([{ state: 'D' }]);
    // The adler32 the caller did not give was computed (md5 alone is compared when given).
    expect((await db.dataSource.query(`SELECT adler32 FROM replicas WHERE scope = $1 AND name = $2 AND rse_id = $3`, [scope, f.name, siteB.id]))[0].adler32).toBe(f.adler32);
  });

  it('verifies replicas set AVAILABLE through a state change (the stock upload), by their owner too', async () => {
    const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 1 });
    await replicas.addReplicas(jdoe.issuer, 'SITE_A', [{ scope, name: f.name, bytes: f.bytes, adler32: f.adler32, state: 'C' }]);
    // An upload's announcement: checked only once the upload timeout (an hour) has passed without the upload saying it wrote it.
    expect(await verification(f.name, siteA.id)).toEqual([{ account: 'jdoe', attempts: 0, last_error: null }]);
    const due = async () => (await db.dataSource.query(`SELECT written, not_before <= now() AS due FROM replica_verifications WHERE name = $1`, [f.name]))[0];
    expect(await due()).toEqual({ written: false, due: false });
    await registrar.runOnce();
    expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING);
    expect(await replicas.updateReplicaStates(jdoe.issuer, [{ scope, name: f.name, rse: 'SITE_A', state: 'A' }])).toBe(1);
    expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING);
    expect(await due()).toEqual({ written: true, due: true });
    await registrar.runOnce();
    expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.AVAILABLE);
  });

  it('postpones a check while the storage cannot be reached, with the error and the attempt', async () => {
    const down = await createRse(db.dataSource, {
      rse: 'SITE_DOWN',
      protocols: [{ scheme: 'dav', hostname: '127.0.0.1', port: 1, prefix: '/dav/', impl: 'rucio.rse.protocols.webdav.Default', domains: { wan: { read: 1 } } }],
    });
    const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 1 });
    await replicas.addReplicas(jdoe.issuer, 'SITE_DOWN', [{ scope, name: f.name, bytes: f.bytes }]);
    await registrar.runOnce();
    expect(await stateOf(f.name, down.id)).toBe(ReplicaState.COPYING);
    const [row] = await verification(f.name, down.id);
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/127\.0\.0\.1:1/);
    const [{ due }] = await db.dataSource.query(
      `SELECT not_before > now() + interval '20 seconds' AS due FROM replica_verifications WHERE scope = $1 AND name = $2`,
      [scope, f.name],
    );
    expect(due).toBe(true);
  });

  describe('bad replicas', () => {
    it('re-copies a bad replica from another AVAILABLE one: a queued transfer, its locks REPLICATING again', async () => {
      const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 1 });
      await createReplicas(db.dataSource, { rseId: siteA.id, files: [f] });
      await createReplicas(db.dataSource, { rseId: siteB.id, files: [f] });
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(f, 'SITE_A'));
      expect((await rules.getRule(jdoe.issuer, ruleId)).state).toBe(RuleState.OK);
      await replicas.declareBadReplicas(admin.issuer, [{ scope, name: f.name, rse: 'SITE_A' }], 'corrupted on disk');
      await registrar.runOnce();
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING);
      const requests = (await readRequests(db.dataSource, scope)).filter((r) => r.name === f.name);
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ state: 'Q', ruleId, destRseId: siteA.id });
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.REPLICATING, locksOkCnt: 0, locksReplicatingCnt: 1 });
      expect(await db.dataSource.query(`SELECT state FROM bad_replicas WHERE scope = $1 AND name = $2`, [scope, f.name])).toEqual([{ state: 'R' }]);
      expect((await readEvents(db.dataSource, 'transfer.queued')).filter((e) => e.ruleId === ruleId).at(-1)).toEqual({ ruleId, destRseId: siteA.id, count: 1 });
    });

    it('marks the locks on a bad replica with no other copy STUCK as lost, and the file LOST', async () => {
      const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 1 });
      await createReplicas(db.dataSource, { rseId: siteA.id, files: [f] });
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(f, 'SITE_A'));
      await replicas.declareBadReplicas(admin.issuer, [{ scope, name: f.name, rse: 'SITE_A' }], 'disk died');
      await registrar.runOnce();
      const error = `lost: no other replica of ${scope}:${f.name}; the one on SITE_A is BAD (disk died). Upload the file again, or register a good copy, to repair it`;
      expect(await db.dataSource.query(`SELECT state, error, reason_code, reason FROM locks WHERE rule_id = $1`, [ruleId])).toEqual([
        { state: LockState.STUCK, error, reason_code: 'LOST', reason: error },
      ]);
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.STUCK, locksStuckCnt: 1, locksOkCnt: 0, error });
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.BAD);
      expect(await db.dataSource.query(`SELECT state FROM bad_replicas WHERE scope = $1 AND name = $2`, [scope, f.name])).toEqual([{ state: 'L' }]);
      expect(await db.dataSource.query(`SELECT availability FROM dids WHERE scope = $1 AND name = $2`, [scope, f.name])).toEqual([{ availability: 'L' }]);
      expect((await readEvents(db.dataSource, 'replica.lost')).filter((e) => e.name === f.name)).toEqual([
        { scope, name: f.name, rse: 'SITE_A', rseId: siteA.id, reason: error },
      ]);
      expect((await readEvents(db.dataSource, 'rule.stuck')).filter((e) => e.ruleId === ruleId)).toHaveLength(1);
    });

    it('declares a replica with another copy BAD once declared suspicious replicas/suspicious_threshold times, and recovers it; never the only copy', async () => {
      await db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('replicas', 'suspicious_threshold', '2')`);
      const [f, only] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirA.root, count: 2 });
      await createReplicas(db.dataSource, { rseId: siteA.id, files: [f, only] });
      await createReplicas(db.dataSource, { rseId: siteB.id, files: [f] });
      const suspect = (name: string) => replicas.declareSuspiciousReplicas(jdoe.issuer, [{ scope, name, rse: 'SITE_A' }], 'a job could not read it');
      await suspect(f.name);
      await registrar.runOnce();
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.AVAILABLE); // once is not enough

      // Declarations in one transaction share their time: the second comes from another one.
      await suspect(f.name);
      for (let i = 0; i < 3; i++) await suspect(only.name);
      await registrar.runOnce();
      const states = async (name: string) =>
        (await db.dataSource.query(`SELECT state, account, reason FROM bad_replicas WHERE scope = $1 AND name = $2 ORDER BY created_at`, [scope, name]));
      expect(await states(f.name)).toEqual([
        { state: 'S', account: 'jdoe', reason: 'a job could not read it' },
        { state: 'S', account: 'jdoe', reason: 'a job could not read it' },
        { state: 'R', account: 'root', reason: expect.stringMatching(/^declared suspicious 2 times since \d{4}-\d\d-\d\d$/) },
      ]);
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING); // re-copied from SITE_B
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.name === f.name)).toEqual([expect.objectContaining({ state: 'Q', destRseId: siteA.id })]);
      expect((await states(only.name)).map((d: { state: string }) => d.state)).toEqual(['S', 'S', 'S']);
      expect(await stateOf(only.name, siteA.id)).toBe(ReplicaState.AVAILABLE);
      await db.dataSource.query(`DELETE FROM configs WHERE section = 'replicas'`);
    });

    it('recovers a replica found BAD by verification the same way', async () => {
      const [f] = await createStoredFiles(db.dataSource, { scope, account: jdoe.account, root: dirB.root, count: 1 });
      await createReplicas(db.dataSource, { rseId: siteB.id, files: [f] });
      await writeStoredFile(dirA.root, scope, f.name, randomBytes(f.bytes));
      await replicas.addReplicas(jdoe.issuer, 'SITE_A', [{ scope, name: f.name, bytes: f.bytes }]);
      await registrar.runOnce(); // BAD (adler32 differs), then recovered in the same pass: a re-copy from SITE_B
      expect((await db.dataSource.query(`SELECT state, reason FROM bad_replicas WHERE scope = $1 AND name = $2`, [scope, f.name]))[0]).toMatchObject({
        state: 'R',
        reason: expect.stringMatching(/^adler32 mismatch/),
      });
      expect(await stateOf(f.name, siteA.id)).toBe(ReplicaState.COPYING);
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.name === f.name)).toEqual([expect.objectContaining({ state: 'Q', destRseId: siteA.id })]);
    });
  });
});
