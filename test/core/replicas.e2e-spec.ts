import { TestingModule } from '@nestjs/testing';
import { EPOCH_TOMBSTONE, Forbidden, hashPath, LockState, ReplicaState, RuleState, TarnError } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { FILES_PER_EVENT } from '@tarn/events';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { transferFinisherRepository } from '@tarn/catalogue/repositories/transfer-finisher.repository.js';
import { collectRows } from '@tarn/core/dids/row-stream.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createAccount, CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createContainer, createDataset, createFiles, FileSpec } from '@tarn/testing/factories/did.factory.js';
import { createReplicas, readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';
import { readEvents, readLocks, readRequests, ruleSpec } from '@tarn/testing/factories/rule.factory.js';

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

const asInput = (files: FileSpec[]) => files.map((f) => ({ scope: f.scope, name: f.name, bytes: f.bytes }));

describe('ReplicaService', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let replicas: ReplicaService;
  let rules: RuleService;
  let admin: CreatedAccount;
  let jdoe: CreatedAccount;
  let other: CreatedAccount;
  let scope: string;
  let d1: CreatedRse, d2: CreatedRse;

  const files = (count = 2, bytes = 100) => createFiles(db.dataSource, { scope, account: jdoe.account, count, bytes });

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [ReplicasModule, RulesModule]);
    replicas = moduleRef.get(ReplicaService);
    rules = moduleRef.get(RuleService);
    admin = await createAccount(db.dataSource, { account: 'root', admin: true });
    jdoe = await createAccount(db.dataSource, { account: 'jdoe' });
    other = await createAccount(db.dataSource, { account: 'other' });
    ({ scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: jdoe.account }));
    d1 = await createRse(db.dataSource, {
      rse: 'D_1',
      protocols: [
        { scheme: 'root', hostname: 'd1.example.org', port: 1094, prefix: '/data', impl: 'rucio.rse.protocols.xrootd.Default', domains: { wan: { read: 1, write: 1 } } },
        { scheme: 'davs', hostname: 'd1.example.org', port: 443, prefix: '/dav/data', impl: 'rucio.rse.protocols.gfal.Default', domains: { wan: { read: 2, write: 2 } } },
      ],
    });
    d2 = await createRse(db.dataSource, { rse: 'D_2', attributes: { lfn2pfn_algorithm: 'identity' }, protocols: [{ scheme: 'file', prefix: '/srv/d2', impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1 } } }] });
    await createRse(db.dataSource, {
      rse: 'ND_1',
      deterministic: false,
      protocols: [{ scheme: 'https', hostname: 'nd.example.org', port: 443, prefix: '/store', impl: 'rucio.rse.protocols.webdav.Default', domains: { wan: { read: 1, write: 1 } } }],
    });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('addReplicas', () => {
    it('announces replicas in one call (COPYING until verified), counts the RSE usage; verified, they emit replica.available', async () => {
      const fs = await files(3, 120);
      const usageBefore = await db.dataSource.query(`SELECT used::int, files::int FROM rse_usage WHERE rse_id = $1 AND source = 'rucio'`, [d1.id]);
      const result = await replicas.addReplicas(jdoe.issuer, 'D_1', asInput(fs));
      expect(result).toEqual({ registered: 3, inserted: 3, filesCreated: 0, announced: 3 });
      const announced = await Promise.all(fs.map((f) => readReplicas(db.dataSource, scope, f.name).then((r) => r[0])));
      expect(announced.map((r) => [r.rseId, r.state, r.lockCnt, r.path, r.bytes])).toEqual(fs.map(() => [d1.id, ReplicaState.COPYING, 0, null, 120]));
      expect((await readEvents(db.dataSource, 'replica.available')).filter((e) => fs.some((f) => f.name === e.name))).toEqual([]);
      expect(await passQueuedVerifications(db.dataSource)).toBe(3);
      const rows = await Promise.all(fs.map((f) => readReplicas(db.dataSource, scope, f.name).then((r) => r[0])));
      expect(rows.map((r) => [r.rseId, r.state, r.lockCnt, r.path, r.bytes])).toEqual(fs.map(() => [d1.id, ReplicaState.AVAILABLE, 0, null, 120]));
      const [checksums] = await db.dataSource.query(`SELECT adler32, md5 FROM replicas WHERE scope = $1 AND name = $2`, [scope, fs[0].name]);
      expect(checksums).toEqual({ adler32: fs[0].adler32, md5: fs[0].md5 });
      const [usage] = await db.dataSource.query(`SELECT used::int, files::int FROM rse_usage WHERE rse_id = $1 AND source = 'rucio'`, [d1.id]);
      expect(usage).toEqual({ used: (usageBefore[0]?.used ?? 0) + 360, files: (usageBefore[0]?.files ?? 0) + 3 });
      const events = (await readEvents(db.dataSource, 'replica.available')).filter((e) => fs.some((f) => f.name === e.name));
      expect(events).toEqual(fs.map((f) => ({ scope, name: f.name, rse: 'D_1', rseId: d1.id, bytes: 120 })));
    });

    it('refuses a size or checksum that differs from the file, naming the file and both values', async () => {
      const [f] = await files(1, 100);
      const error = await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', [{ scope, name: f.name, bytes: 99 }]));
      expect(error.message).toContain(`${scope}:${f.name}`);
      expect(error.message).toMatch(/has 99 bytes .* registered with 100 bytes/);
      const wrong = f.adler32 === '00000001' ? '00000002' : '00000001';
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', [{ scope, name: f.name, bytes: 100, adler32: wrong }]))).message).toMatch(
        new RegExp(`adler32 ${wrong}, but the file is registered with adler32 ${f.adler32}`),
      );
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', [{ scope, name: f.name, bytes: 100, md5: 'xyz' }]))).message).toMatch(/32 hexadecimal digits/);
      expect(await readReplicas(db.dataSource, scope, f.name)).toEqual([]);
    });

    it('requires the files to exist unless createMissingFiles, which registers them (files.created)', async () => {
      const missing = { scope, name: 'new.file.1', bytes: 5, adler32: '0000000a' };
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', [missing]))).rucioClass).toBe('DataIdentifierNotFound');
      const result = await replicas.addReplicas(jdoe.issuer, 'D_1', [missing], { createMissingFiles: true });
      expect(result).toMatchObject({ registered: 1, filesCreated: 1 });
      const [did] = await db.dataSource.query(`SELECT did_type, bytes::int, adler32, account FROM dids WHERE scope = $1 AND name = 'new.file.1'`, [scope]);
      expect(did).toEqual({ did_type: 'F', bytes: 5, adler32: '0000000a', account: 'jdoe' });
      expect((await readEvents(db.dataSource, 'files.created')).filter((e) => (e.names as string[]).includes('new.file.1'))).toEqual([
        { scope, account: 'jdoe', count: 1, names: ['new.file.1'] },
      ]);
    });

    it('announces the files it creates in files.created events of at most FILES_PER_EVENT names each', async () => {
      const files = Array.from({ length: FILES_PER_EVENT + 1 }, (_, i) => ({ scope, name: `bulk.new.${String(i).padStart(5, '0')}`, bytes: 1 }));
      expect(await replicas.addReplicas(jdoe.issuer, 'D_1', files, { createMissingFiles: true })).toMatchObject({ filesCreated: files.length });
      const events = (await readEvents(db.dataSource, 'files.created')).filter((e) => (e.names as string[]).some((n) => n.startsWith('bulk.new.')));
      expect(events.map((e) => [e.count, (e.names as string[]).length])).toEqual([
        [FILES_PER_EVENT, FILES_PER_EVENT],
        [1, 1],
      ]);
      expect(events.flatMap((e) => e.names as string[]).sort()).toEqual(files.map((f) => f.name));
      expect(events.every((e) => e.scope === scope && e.account === 'jdoe')).toBe(true);
    });

    it('never creates a file under a name reserved by a deleted DID, and says which name', async () => {
      await db.dataSource.query(`INSERT INTO deleted_dids (scope, name, account, did_type, bytes) VALUES ($1, 'gone.file', 'jdoe', 'F', 5)`, [scope]);
      const error = await rejection(
        replicas.addReplicas(jdoe.issuer, 'D_1', [{ scope, name: 'fresh.file', bytes: 5 }, { scope, name: 'gone.file', bytes: 5 }], { createMissingFiles: true }),
      );
      expect(error.rucioClass).toBe('DataIdentifierAlreadyExists');
      expect(error.message).toContain(`${scope}:gone.file`);
      const rows = await db.dataSource.query(`SELECT name FROM dids WHERE scope = $1 AND name IN ('fresh.file', 'gone.file')`, [scope]);
      expect(rows).toEqual([]);
    });

    it('refuses writers without access to the scope, unknown RSEs, datasets, and replicas already AVAILABLE', async () => {
      const [f] = await files(1);
      expect(await rejection(replicas.addReplicas(other.issuer, 'D_1', asInput([f])))).toBeInstanceOf(Forbidden);
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'NOPE', asInput([f])))).rucioClass).toBe('RSENotFound');
      const ds = await createDataset(db.dataSource, { scope, account: jdoe.account, files: 0 });
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', [{ scope, name: ds.name, bytes: 0 }]))).rucioClass).toBe('UnsupportedDIDType');
      await replicas.addReplicas(jdoe.issuer, 'D_1', asInput([f]));
      await passQueuedVerifications(db.dataSource);
      const duplicate = await rejection(replicas.addReplicas(jdoe.issuer, 'D_1', asInput([f])));
      expect(duplicate.rucioClass).toBe('FileReplicaAlreadyExists');
      expect(duplicate.message).toContain(`${scope}:${f.name} on RSE 'D_1' is already AVAILABLE`);
    });

    it('needs a pfn or path per file on a non-deterministic RSE, and stores the path', async () => {
      const fs = await files(3);
      const error = await rejection(replicas.addReplicas(jdoe.issuer, 'ND_1', asInput(fs)));
      expect(error.rucioClass).toBe('InvalidPath');
      expect(error.message).toContain(`${scope}:${fs[0].name}`);
      expect((await rejection(replicas.addReplicas(jdoe.issuer, 'ND_1', [{ ...asInput(fs)[0], pfn: 'https://elsewhere.org:443/x/y' }]))).message).toMatch(
        /does not start with the base URL of any protocol of RSE 'ND_1' \(https:\/\/nd\.example\.org:443\/store\/\)/,
      );
      await replicas.addReplicas(admin.issuer, 'ND_1', [
        { ...asInput(fs)[0], pfn: `https://nd.example.org:443/store/run1/${fs[0].name}` },
        { ...asInput(fs)[1], path: `/run1/${fs[1].name}` },
        { ...asInput(fs)[2], path: `run1/${fs[2].name}` },
      ]);
      const paths = await Promise.all(fs.map((f) => readReplicas(db.dataSource, scope, f.name).then((r) => r[0].path)));
      expect(paths).toEqual(fs.map((f) => `run1/${f.name}`));
    });

    it('round-trips names with quotes, commas, braces, backslashes and spaces', async () => {
      const names = ['odd "quoted" name', 'a,b{c}d', 'back\\slash', 'NULL', 'sp ace', 'ünï'];
      const created = await replicas.addReplicas(jdoe.issuer, 'D_2', names.map((name) => ({ scope, name, bytes: 1 })), { createMissingFiles: true });
      expect(created.registered).toBe(names.length);
      await passQueuedVerifications(db.dataSource);
      const listed = await collectRows(await replicas.listReplicas(jdoe.issuer, names.map((name) => ({ scope, name }))));
      expect(listed.map((f) => f.name).sort()).toEqual([...names].sort());
      // One rule per DID, and a lock for each.
      const ids = await rules.addRules(jdoe.issuer, { dids: names.map((name) => ({ scope, name })), copies: 1, rseExpression: 'D_2' });
      expect(ids).toHaveLength(names.length);
      const locked = (await Promise.all(ids.map((id) => readLocks(db.dataSource, id)))).flat();
      expect(locked.map((l) => [l.name, l.state]).sort()).toEqual(names.map((name) => [name, LockState.OK]).sort());
    });
  });

  describe('registration satisfying rule locks', () => {
    it('turns REPLICATING locks OK, finishes their queued transfers and makes the rule OK', async () => {
      const ds = await createDataset(db.dataSource, { scope, account: jdoe.account, files: 3, bytes: 10 });
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(ds, 'D_2'));
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === ruleId)).toHaveLength(3);

      const partial = await replicas.addReplicas(admin.issuer, 'D_2', asInput(ds.files.slice(0, 2)));
      expect(partial).toMatchObject({ registered: 2, inserted: 0, announced: 2 });
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.REPLICATING, locksOkCnt: 0, locksReplicatingCnt: 3 });
      expect(await passQueuedVerifications(db.dataSource)).toBe(2);
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.REPLICATING, locksOkCnt: 2, locksReplicatingCnt: 1 });
      expect((await readEvents(db.dataSource, 'rule.progress')).filter((e) => e.ruleId === ruleId)).toEqual([
        { ruleId, locksOk: 2, locksReplicating: 1, locksStuck: 0 },
      ]);

      await replicas.addReplicas(admin.issuer, 'D_2', asInput(ds.files.slice(2)));
      await passQueuedVerifications(db.dataSource);
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.OK, locksOkCnt: 3, locksReplicatingCnt: 0 });
      expect((await readLocks(db.dataSource, ruleId)).map((l) => l.state)).toEqual([LockState.OK, LockState.OK, LockState.OK]);
      expect((await readRequests(db.dataSource, scope)).filter((r) => r.ruleId === ruleId)).toEqual([]);
      const done = await db.dataSource.query(`SELECT state FROM requests_history WHERE rule_id = $1`, [ruleId]);
      expect(done).toEqual([{ state: 'D' }, { state: 'D' }, { state: 'D' }]);
      expect((await readEvents(db.dataSource, 'rule.ok')).filter((e) => e.ruleId === ruleId)).toHaveLength(1);
      expect(await db.dataSource.query(`SELECT state FROM dataset_locks WHERE rule_id = $1`, [ruleId])).toEqual([{ state: 'O' }]);
      // The replicas were counted on the RSE when the rule created them, not again now.
      for (const f of ds.files) expect((await readReplicas(db.dataSource, scope, f.name))[0]).toMatchObject({ state: ReplicaState.AVAILABLE, lockCnt: 1 });
    });

    it('markReplicasAvailable settles a transfer that arrived (the finisher path)', async () => {
      const [f] = await files(1, 10);
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(f, 'D_1'));
      const result = await unitOfWork(db.dataSource, { what: 'test' }, (manager) => markReplicasAvailable(manager, [{ scope, name: f.name, rseId: d1.id }]));
      expect(result).toEqual({ available: 1, locksSatisfied: 1, transfersFinished: 1 });
      expect(await rules.getRule(jdoe.issuer, ruleId)).toMatchObject({ state: RuleState.OK, locksOkCnt: 1 });
      expect((await readReplicas(db.dataSource, scope, f.name))[0].state).toBe(ReplicaState.AVAILABLE);
    });

    it('markReplicasAvailable sends a transfer that found no source on its way at once, not after its back-off', async () => {
      const [f] = await files(1, 10);
      await createReplicas(db.dataSource, { rseId: d1.id, files: [f], state: ReplicaState.COPYING });
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(f, 'D_2'));
      // Its first attempt found the only replica still COPYING (as the submitter records it), the next is an hour away.
      await db.dataSource.query(
        `UPDATE requests SET retry_count = 1, retry_after = now() + interval '1 hour',
                err_msg = 'no source: no AVAILABLE replica of ' || scope || ':' || name || '; the replica on D_1 is not AVAILABLE yet'
          WHERE scope = $1 AND name = $2`,
        [scope, f.name],
      );
      const before = Number((await db.dataSource.query(`SELECT count(*) AS n FROM outbox_messages WHERE event_type = 'transfer.queued'`))[0].n);
      await unitOfWork(db.dataSource, { what: 'test' }, (manager) => markReplicasAvailable(manager, [{ scope, name: f.name, rseId: d1.id }]));
      const [request] = await db.dataSource.query(`SELECT state, retry_after FROM requests WHERE scope = $1 AND name = $2`, [scope, f.name]);
      expect(request).toEqual({ state: 'Q', retry_after: null });
      const events = await db.dataSource.query(
        `SELECT payload FROM outbox_messages WHERE event_type = 'transfer.queued' ORDER BY id OFFSET $1`,
        [before],
      );
      expect(events.map((e: { payload: unknown }) => e.payload)).toEqual([{ ruleId, destRseId: d2.id, count: 1 }]);
    });

    it('the finisher requeues a no-source attempt at once when a source became AVAILABLE meanwhile, else after its back-off', async () => {
      const [f, g] = await files(2, 10);
      await createReplicas(db.dataSource, { rseId: d1.id, files: [f], state: ReplicaState.AVAILABLE });
      await createReplicas(db.dataSource, { rseId: d1.id, files: [g], state: ReplicaState.COPYING });
      await rules.addRules(jdoe.issuer, { ...ruleSpec(f, 'D_2'), dids: [f, g].map((x) => ({ scope, name: x.name })) });
      const [rows] = await db.dataSource.query(
        `UPDATE requests SET state = '0', err_msg = 'no source: ...' WHERE scope = $1 AND name = ANY($2) RETURNING id, name`,
        [scope, [f.name, g.name]],
      );
      await unitOfWork(db.dataSource, { what: 'test' }, (manager) =>
        transferFinisherRepository.requeue(manager, rows.map((r: { id: string }) => r.id), { baseSeconds: 30, maxSeconds: 600 }),
      );
      const after = await db.dataSource.query(`SELECT name, state, retry_after > now() AS later FROM requests WHERE scope = $1 AND name = ANY($2) ORDER BY name`, [scope, [f.name, g.name]]);
      expect(after).toEqual([
        { name: f.name, state: 'Q', later: null },
        { name: g.name, state: 'Q', later: true },
      ]);
    });

    it('markReplicasAvailable leaves alone a queued transfer that failed for another reason', async () => {
      const [f] = await files(1, 10);
      await createReplicas(db.dataSource, { rseId: d1.id, files: [f], state: ReplicaState.COPYING });
      await rules.addRules(jdoe.issuer, ruleSpec(f, 'D_2'));
      await db.dataSource.query(
        `UPDATE requests SET retry_count = 1, retry_after = now() + interval '1 hour', err_msg = 'Connection refused: https://d2/' WHERE scope = $1 AND name = $2`,
        [scope, f.name],
      );
      await unitOfWork(db.dataSource, { what: 'test' }, (manager) => markReplicasAvailable(manager, [{ scope, name: f.name, rseId: d1.id }]));
      const [request] = await db.dataSource.query(`SELECT retry_after > now() AS later FROM requests WHERE scope = $1 AND name = $2`, [scope, f.name]);
      expect(request.later).toBe(true);
    });
  });

  describe('listReplicas', () => {
    it('lists files, datasets and containers file by file with PFNs per protocol, AVAILABLE only unless allStates', async () => {
      const fs = await files(2, 7);
      const ds = await createDataset(db.dataSource, { scope, account: jdoe.account, files: fs });
      const container = await createContainer(db.dataSource, { scope, account: jdoe.account, children: [ds] });
      await replicas.addReplicas(jdoe.issuer, 'D_1', asInput(fs));
      await passQueuedVerifications(db.dataSource);
      await createReplicas(db.dataSource, { rseId: d2.id, files: fs.slice(0, 1), state: ReplicaState.COPYING });

      const listed = await collectRows(await replicas.listReplicas(jdoe.issuer, [container]));
      expect(listed.map((f) => f.name)).toEqual(fs.map((f) => f.name));
      const first = listed[0];
      expect(first).toMatchObject({ scope, bytes: 7, adler32: fs[0].adler32, md5: fs[0].md5 });
      expect(first.replicas).toHaveLength(1);
      const path = hashPath(scope, fs[0].name);
      expect(first.replicas[0]).toMatchObject({ rse: 'D_1', rseId: d1.id, state: ReplicaState.AVAILABLE, path });
      expect(first.replicas[0].pfns).toEqual([
        { pfn: `root://d1.example.org:1094/data/${path}`, scheme: 'root', priority: 1, domain: 'wan' },
        { pfn: `davs://d1.example.org:443/dav/data/${path}`, scheme: 'davs', priority: 2, domain: 'wan' },
      ]);

      const all = await collectRows(await replicas.listReplicas(jdoe.issuer, [ds], { allStates: true, schemes: ['file'] }));
      const d2Replica = all[0].replicas.find((r) => r.rse === 'D_2')!;
      expect(d2Replica).toMatchObject({ state: ReplicaState.COPYING, path: `user/jdoe/${fs[0].name}` });
      expect(d2Replica.pfns).toEqual([{ pfn: `file://localhost/srv/d2/user/jdoe/${fs[0].name}`, scheme: 'file', priority: 1, domain: 'wan' }]);
      expect(all[0].replicas.find((r) => r.rse === 'D_1')!.pfns).toEqual([]);

      const onD2 = await collectRows(await replicas.listReplicas(jdoe.issuer, [fs[0], fs[1]], { allStates: true, rseExpression: 'D_2' }));
      expect(onD2.map((f) => f.replicas.map((r) => r.rse))).toEqual([['D_2'], []]);
      expect((await rejection(replicas.listReplicas(jdoe.issuer, [{ scope, name: 'nope' }]))).rucioClass).toBe('DataIdentifierNotFound');
    });

    it('gives the stored path on a non-deterministic RSE', async () => {
      const [f] = await files(1);
      await replicas.addReplicas(admin.issuer, 'ND_1', [{ scope, name: f.name, bytes: f.bytes, path: 'x/y/z' }]);
      await passQueuedVerifications(db.dataSource);
      const [listed] = await collectRows(await replicas.listReplicas(jdoe.issuer, [f]));
      expect(listed.replicas[0]).toMatchObject({ rse: 'ND_1', path: 'x/y/z', pfns: [{ pfn: 'https://nd.example.org:443/store/x/y/z', scheme: 'https', priority: 1, domain: 'wan' }] });
    });
  });

  describe('states, bad replicas, tombstones, access', () => {
    it('updates replica states in bulk (administrators); AVAILABLE, once verified, satisfies waiting locks', async () => {
      const fs = await files(2, 10);
      await replicas.addReplicas(jdoe.issuer, 'D_1', asInput(fs));
      const refs = fs.map((f) => ({ scope, name: f.name, rse: 'D_1' }));
      expect(await rejection(replicas.updateReplicaStates(jdoe.issuer, refs.map((r) => ({ ...r, state: 'UNAVAILABLE' }))))).toBeInstanceOf(Forbidden);
      expect(await replicas.updateReplicaStates(admin.issuer, refs.map((r) => ({ ...r, state: 'UNAVAILABLE' })))).toBe(2);
      for (const f of fs) expect((await readReplicas(db.dataSource, scope, f.name))[0].state).toBe(ReplicaState.UNAVAILABLE);

      // A rule now needs a copy there again (the replica is UNAVAILABLE: REPLICATING lock, transfer).
      const [ruleId] = await rules.addRules(jdoe.issuer, ruleSpec(fs[0], 'D_1'));
      expect((await rules.getRule(jdoe.issuer, ruleId)).state).toBe(RuleState.REPLICATING);
      await replicas.updateReplicaStates(admin.issuer, [{ ...refs[0], state: 'A' }]);
      expect((await rules.getRule(jdoe.issuer, ruleId)).state).toBe(RuleState.REPLICATING);
      expect(await passQueuedVerifications(db.dataSource)).toBe(1);
      expect((await rules.getRule(jdoe.issuer, ruleId)).state).toBe(RuleState.OK);
      expect((await rejection(replicas.updateReplicaStates(admin.issuer, [{ ...refs[1], state: 'BAD' }]))).rucioClass).toBe('UnsupportedStatus');
      expect((await rejection(replicas.updateReplicaStates(admin.issuer, [{ scope, name: 'nope', rse: 'D_1', state: 'A' }]))).rucioClass).toBe('ReplicaNotFound');
    });

    it('declares replicas bad: bad_replicas rows, state BAD, replica.bad events', async () => {
      const fs = await files(2, 10);
      await replicas.addReplicas(jdoe.issuer, 'D_1', asInput(fs));
      const refs = fs.map((f) => ({ scope, name: f.name, rse: 'D_1' }));
      expect(await rejection(replicas.declareBadReplicas(jdoe.issuer, refs, 'checksum mismatch'))).toBeInstanceOf(Forbidden);
      expect(await replicas.declareBadReplicas(admin.issuer, refs, 'checksum mismatch')).toBe(2);
      for (const f of fs) expect((await readReplicas(db.dataSource, scope, f.name))[0].state).toBe(ReplicaState.BAD);
      const bad = await db.dataSource.query(`SELECT name, state, reason, account, bytes::int FROM bad_replicas WHERE scope = $1 AND name = ANY($2::varchar[]) ORDER BY name`, [
        scope,
        fs.map((f) => f.name),
      ]);
      expect(bad).toEqual(fs.map((f) => ({ name: f.name, state: 'B', reason: 'checksum mismatch', account: 'root', bytes: 10 })));
      const events = (await readEvents(db.dataSource, 'replica.bad')).filter((e) => fs.some((f) => f.name === e.name));
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ rse: 'D_1', rseId: d1.id, reason: 'checksum mismatch' });
      expect((await rejection(replicas.declareBadReplicas(admin.issuer, [{ scope, name: fs[0].name, rse: 'D_2' }], null))).rucioClass).toBe('ReplicaNotFound');
    });

    it('sets tombstones only on unlocked replicas', async () => {
      const fs = await files(2, 10);
      await replicas.addReplicas(jdoe.issuer, 'D_1', asInput(fs));
      await rules.addRules(jdoe.issuer, ruleSpec(fs[1], 'D_1'));
      const locked = await rejection(replicas.setTombstones(admin.issuer, fs.map((f) => ({ scope, name: f.name, rse: 'D_1' }))));
      expect(locked.rucioClass).toBe('ReplicaIsLocked');
      expect(locked.message).toContain(`${scope}:${fs[1].name} on D_1`);
      expect(await replicas.setTombstones(admin.issuer, [{ scope, name: fs[0].name, rse: 'D_1' }])).toBe(1);
      expect((await readReplicas(db.dataSource, scope, fs[0].name))[0].tombstone).toEqual(EPOCH_TOMBSTONE);
    });

    it('touches replicas and their files; an unlocked replica\'s tombstone follows its last access', async () => {
      const fs = await files(2, 10);
      await createReplicas(db.dataSource, { rseId: d1.id, files: fs.slice(0, 1), tombstone: new Date('2020-01-01T00:00:00Z') });
      await createReplicas(db.dataSource, { rseId: d1.id, files: fs.slice(1), tombstone: EPOCH_TOMBSTONE });
      const at = new Date('2025-06-01T12:00:00Z');
      expect(await replicas.touchReplicas(jdoe.issuer, fs.map((f) => ({ scope, name: f.name, rse: 'D_1', accessedAt: at })))).toBe(2);
      const [touched] = await readReplicas(db.dataSource, scope, fs[0].name);
      expect(touched).toMatchObject({ accessedAt: at, tombstone: at });
      expect((await readReplicas(db.dataSource, scope, fs[1].name))[0].tombstone).toEqual(EPOCH_TOMBSTONE);
      const [did] = await db.dataSource.query(`SELECT accessed_at, access_cnt::int FROM dids WHERE scope = $1 AND name = $2`, [scope, fs[0].name]);
      expect(did).toEqual({ accessed_at: at, access_cnt: 1 });
    });
  });
});
