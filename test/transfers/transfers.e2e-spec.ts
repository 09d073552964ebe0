/**
 * The transfer engine end to end, daemons driven with runOnce: rules' QUEUED requests -> transfer-submitter
 * (sources ranked, throttled) -> transfer-worker (the built-in tool: streamed, checksummed, verified copies)
 * -> transfer-finisher (replicas AVAILABLE, locks OK, retries, STUCK), on real PostgreSQL, S3, WebDAV and
 * posix directories.
 */
import { Readable } from 'node:stream';
import { deterministicPath, LockState, ReplicaState, RuleState } from '@tarn/domain';
import { createStorage, type StorageProtocol } from '@tarn/storage';
import { sample } from '@tarn/testing/prometheus.js';
import { createTestBucket, createTestCollection, createTestDirectory, type TestStorageArea } from '@tarn/testing/storage.js';
import { createRse, type CreatedRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { readEvents, readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { unitOfWork } from '@tarn/catalogue';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { inconsistencies } from '../daemons/support/rule-daemons-fixtures.js';
import { drive, makeContents, protocolOf, readAll, ruleState, seedDataset, setConfig, type TestFile, transfersContext, type TransfersContext } from './support/transfer-fixtures.js';

describe('transfer engine', () => {
  let t: TransfersContext;
  const areas: TestStorageArea[] = [];
  const storages: StorageProtocol[] = [];
  let posix: { rse: CreatedRse; storage: StorageProtocol };
  let posix2: { rse: CreatedRse; storage: StorageProtocol };
  let s3: { rse: CreatedRse; storage: StorageProtocol };
  let dav: { rse: CreatedRse; storage: StorageProtocol };

  async function rseOn(area: TestStorageArea, attributes: Record<string, string | boolean>, impl?: string) {
    areas.push(area);
    const storage = createStorage(area.protocol);
    storages.push(storage);
    const rse = await createRse(t.db.dataSource, { rse: uniqueRseName('TR'), attributes, protocols: [protocolOf(area.protocol, impl)] });
    return { rse, storage };
  }

  beforeAll(async () => {
    t = await transfersContext();
    const tag = uniqueRseName('T').toLowerCase();
    posix = await rseOn(await createTestDirectory(), { origin: tag });
    posix2 = await rseOn(await createTestDirectory(), { origin2: tag });
    s3 = await rseOn(await createTestBucket(), { dest: tag }, 'rucio.rse.protocols.s3.Default');
    dav = await rseOn(await createTestCollection(), { dest: tag }, 'rucio.rse.protocols.webdav.Default');
    (t as unknown as { tag: string }).tag = tag;
    await setConfig(t.db.dataSource, 'transfers', 'backoff_base_seconds', 0);
  });

  afterAll(async () => {
    for (const s of storages) await s.close().catch(() => undefined);
    for (const a of areas) await a.drop().catch(() => undefined);
    await t?.close();
  });

  const tag = () => (t as unknown as { tag: string }).tag;

  /** The bad and suspicious declarations of a file, with the state of the replica declared. */
  const badDeclarations = (name: string) =>
    t.db.dataSource.query(
      `SELECT b.rse_id, b.state, b.account, b.reason, r.state AS replica_state FROM bad_replicas b
         JOIN replicas r ON r.scope = b.scope AND r.name = b.name AND r.rse_id = b.rse_id
        WHERE b.scope = $1 AND b.name = $2 ORDER BY b.created_at`,
      [t.scope, name],
    );

  it('copies a 100-file dataset from posix to S3 and WebDAV for a 2-copy rule, byte-identical and verified, and the rule is OK', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => (i === 0 ? 0 : i === 1 ? 6 * 1024 * 1024 : 1 + ((i * 7919) % 65_536)));
    const files = await makeContents(t.scope, 'ds100', sizes);
    const ds = await seedDataset(t, 'ds100', files, [posix]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, `dest=${tag()}`, { copies: 2 }));
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, replicating: 200 });

    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK);
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: 200, replicating: 0, stuck: 0 });
    expect((await readLocks(t.db.dataSource, ruleId)).every((l) => l.state === LockState.OK)).toBe(true);

    // Every copy is byte-identical to its source, and its replica AVAILABLE with the file's checksums.
    for (const dest of [s3, dav]) {
      for (const f of files) expect((await readAll(dest.storage, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
      const replicas = await t.db.dataSource.query(`SELECT name, state, adler32, md5, bytes FROM replicas WHERE rse_id = $1 AND scope = $2 ORDER BY name`, [dest.rse.id, t.scope]);
      expect(replicas).toEqual(files.map((f) => ({ name: f.name, state: ReplicaState.AVAILABLE, adler32: f.adler32, md5: f.md5, bytes: String(f.bytes) })));
    }
    // The requests went through SUBMITTED and DONE into the history, each with its source.
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([{ n: 0 }]);
    const history = await t.db.dataSource.query(`SELECT state, source_rse_id, count(*)::int AS n FROM requests_history WHERE rule_id = $1 GROUP BY 1, 2`, [ruleId]);
    // Each copy DONE once, from the posix source (or, after a transient failure, from the other destination by then).
    const done = history.filter((h: { state: string }) => h.state === 'D');
    expect(done.reduce((sum: number, h: { n: number }) => sum + h.n, 0)).toBe(200);
    expect(done.find((h: { source_rse_id: string }) => h.source_rse_id === posix.rse.id)?.n).toBeGreaterThanOrEqual(190);
    for (const h of history) expect([posix.rse.id, s3.rse.id, dav.rse.id]).toContain(h.source_rse_id);
    expect((await readEvents(t.db.dataSource, 'transfer.submitted')).length).toBeGreaterThanOrEqual(200);
    expect((await readEvents(t.db.dataSource, 'transfer.done')).length).toBe(200);
    expect((await readEvents(t.db.dataSource, 'rule.ok')).filter((e) => e.ruleId === ruleId)).toHaveLength(1);
    // Nothing but the files themselves on the destinations (no temporary names left).
    for (const dest of [s3, dav]) {
      const listed: string[] = [];
      for await (const entry of dest.storage.list('')) listed.push(entry.path);
      expect(listed.sort()).toEqual(files.map((f) => deterministicPath(f.scope, f.name)).sort());
    }
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('detects a corrupted source replica and copies from another source', async () => {
    const files = await makeContents(t.scope, 'corrupt', [4096, 5000]);
    const ds = await seedDataset(t, 'corrupt', files, [posix, posix2]);
    // The closer source (posix) holds a corrupted copy of the first file: same size, other bytes.
    await t.db.dataSource.query(`INSERT INTO distances (src_rse_id, dest_rse_id, distance) VALUES ($1, $3, 1), ($2, $3, 5)`, [posix.rse.id, posix2.rse.id, dav.rse.id]);
    const bad = Buffer.from(files[0].content);
    bad[100] ^= 0xff;
    await posix.storage.write(deterministicPath(t.scope, files[0].name), Readable.from([bad]));

    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, dav.rse.rse));
    await t.submitter.runOnce();
    const submitted = await t.db.dataSource.query(`SELECT name, state, source_rse_id FROM requests WHERE rule_id = $1 ORDER BY name`, [ruleId]);
    expect(submitted).toEqual(files.map((f) => ({ name: f.name, state: 'S', source_rse_id: posix.rse.id })));
    await t.worker.runOnce();
    const [failed] = await t.db.dataSource.query(`SELECT state, err_msg FROM requests WHERE rule_id = $1 AND name = $2`, [ruleId, files[0].name]);
    expect(failed.state).toBe('F');
    expect(failed.err_msg).toMatch(new RegExp(`the source replica of ${t.scope}:${files[0].name} from ${posix.rse.rse} .* does not match the catalogue \\(adler32 expected ${files[0].adler32}`));
    expect(await dav.storage.exists(deterministicPath(t.scope, files[0].name))).toBe(false);
    // Another copy exists: the corrupt one is declared BAD (the recovery re-copies it from posix2).
    expect(await badDeclarations(files[0].name)).toEqual([
      {
        rse_id: posix.rse.id,
        state: 'B',
        account: 'root',
        reason: expect.stringMatching(new RegExp(`^transfer [0-9a-f-]{36} read bytes that do not match the catalogue: adler32 expected ${files[0].adler32}, read [0-9a-f]{8}; md5 expected ${files[0].md5}, read [0-9a-f]{32}$`)),
        replica_state: ReplicaState.BAD,
      },
    ]);
    expect((await readEvents(t.db.dataSource, 'replica.bad')).filter((e) => e.name === files[0].name)).toEqual([
      expect.objectContaining({ rse: posix.rse.rse, rseId: posix.rse.id, reason: expect.stringMatching(/read bytes that do not match the catalogue/) }),
    ]);

    await t.finisher.runOnce(); // the failed attempt is queued again (backoff 0 here)
    await t.submitter.runOnce();
    const [retry] = await t.db.dataSource.query(`SELECT state, source_rse_id, retry_count FROM requests WHERE rule_id = $1 AND name = $2`, [ruleId, files[0].name]);
    expect(retry).toEqual({ state: 'S', source_rse_id: posix2.rse.id, retry_count: 1 });
    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK);
    expect((await readAll(dav.storage, deterministicPath(t.scope, files[0].name))).equals(files[0].content)).toBe(true);
    const attempts = await t.db.dataSource.query(
      `SELECT state, source_rse_id FROM requests_history WHERE rule_id = $1 AND name = $2 ORDER BY created_at, updated_at`,
      [ruleId, files[0].name],
    );
    expect(attempts).toEqual([
      { state: 'F', source_rse_id: posix.rse.id },
      { state: 'D', source_rse_id: posix2.rse.id },
    ]);
    expect((await readEvents(t.db.dataSource, 'transfer.failed')).filter((e) => e.name === files[0].name)).toEqual([
      expect.objectContaining({ attempt: 1, destRseId: dav.rse.id, error: expect.stringMatching(/may be corrupted/) }),
    ]);
  });

  it('a batch in which one copy fails finishes the others and puts the failure on that file\'s lock alone', async () => {
    const files = await makeContents(t.scope, 'batch', Array.from({ length: 24 }, (_, i) => 16_384 + i));
    const ds = await seedDataset(t, 'batch', files, [posix]);
    const missing = files[5];
    await posix.storage.delete(deterministicPath(t.scope, missing.name));
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, posix2.rse.rse));
    await t.submitter.runOnce();
    await t.worker.runOnce();
    const outcomes = await t.db.dataSource.query(`SELECT name, state, err_msg FROM requests WHERE rule_id = $1 ORDER BY name`, [ruleId]);
    expect(outcomes).toHaveLength(files.length);
    for (const o of outcomes) {
      if (o.name === missing.name) expect(o).toMatchObject({ state: 'F', err_msg: expect.stringMatching(new RegExp(`copy of ${t.scope}:${missing.name} from ${posix.rse.rse} .*ENOENT`)) });
      else expect(o).toMatchObject({ state: 'D', err_msg: null });
    }

    await t.finisher.runOnce();
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, ok: files.length - 1, replicating: 1, stuck: 0 });
    const locks = await t.db.dataSource.query(`SELECT name, state, reason_code, reason FROM locks WHERE rule_id = $1 ORDER BY name`, [ruleId]);
    for (const l of locks) {
      if (l.name === missing.name) {
        expect(l).toMatchObject({ state: LockState.REPLICATING, reason_code: 'RETRYING', reason: expect.stringMatching(/^attempt 1 of \d+ failed: copy of .*ENOENT/) });
      } else {
        expect(l.state).toBe(LockState.OK);
      }
    }
    for (const f of files.filter((f) => f !== missing)) expect((await readAll(posix2.storage, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
    expect(await posix2.storage.exists(deterministicPath(t.scope, missing.name))).toBe(false);
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM replicas WHERE rse_id = $1 AND scope = $2 AND name LIKE 'batch%' AND state = 'A'`, [posix2.rse.id, t.scope]);
    expect(n).toBe(files.length - 1);
  });

  it('declares the only copy of a file SUSPICIOUS, not BAD, when a transfer finds it corrupt', async () => {
    const files = await makeContents(t.scope, 'only', [3000]);
    const ds = await seedDataset(t, 'only', files, [posix]);
    const bad = Buffer.from(files[0].content);
    bad[7] ^= 0x01;
    await posix.storage.write(deterministicPath(t.scope, files[0].name), Readable.from([bad]));
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, posix2.rse.rse));
    await t.submitter.runOnce();
    await t.worker.runOnce();
    expect(await t.db.dataSource.query(`SELECT state, err_msg FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([
      { state: 'F', err_msg: expect.stringMatching(/does not match the catalogue/) },
    ]);
    expect(await badDeclarations(files[0].name)).toEqual([
      { rse_id: posix.rse.id, state: 'S', account: 'root', reason: expect.stringMatching(/read bytes that do not match the catalogue: adler32 expected/), replica_state: ReplicaState.AVAILABLE },
    ]);
    expect((await readEvents(t.db.dataSource, 'replica.bad')).filter((e) => e.name === files[0].name)).toEqual([]);
  });

  it('retries a destination that is down, then marks the lock STUCK with the reason; the repairer copies it once the destination is back', async () => {
    await setConfig(t.db.dataSource, 'transfers', 'max_attempts', 3);
    await setConfig(t.db.dataSource, 'repairer', 'backoff_base_seconds', 0);
    const area = await createTestCollection();
    areas.push(area);
    // Nothing listens on port 1: connections are refused.
    const down = await createRse(t.db.dataSource, {
      rse: uniqueRseName('DOWN'),
      protocols: [protocolOf({ ...area.protocol, port: 1 }, 'rucio.rse.protocols.webdav.Default')],
    });
    const files = await makeContents(t.scope, 'down', [1000, 2000, 3000]);
    const ds = await seedDataset(t, 'down', files, [posix]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, down.rse));

    for (let attempt = 1; attempt <= 3; attempt++) {
      await t.submitter.runOnce();
      await t.worker.runOnce();
      const states = await t.db.dataSource.query(`SELECT DISTINCT state, retry_count FROM requests WHERE rule_id = $1`, [ruleId]);
      expect(states).toEqual([{ state: 'F', retry_count: attempt - 1 }]);
      await t.finisher.runOnce();
    }
    const rule = await ruleState(t.db.dataSource, ruleId);
    expect(rule).toMatchObject({ state: RuleState.STUCK, stuck: 3, replicating: 0, ok: 0 });
    expect(rule.error).toMatch(/^transfer failed 3 time\(s\), last: copy of .* to DOWN_\w+ .*127\.0\.0\.1:1/);
    const locks = await t.db.dataSource.query(`SELECT state, error FROM locks WHERE rule_id = $1`, [ruleId]);
    expect(locks).toHaveLength(3);
    for (const l of locks) expect(l).toMatchObject({ state: LockState.STUCK, error: expect.stringMatching(/transfer failed 3 time\(s\)/) });
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([{ n: 0 }]);
    expect((await readEvents(t.db.dataSource, 'rule.stuck')).filter((e) => e.ruleId === ruleId)).toHaveLength(1);
    expect(
      (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests_history WHERE rule_id = $1 AND state = 'F'`, [ruleId]))[0].n,
    ).toBe(9);
    const link = { src_rse: posix.rse.rse, dst_rse: down.rse };
    const failedMetrics = await t.metrics.metrics();
    expect(sample(failedMetrics, 'tarn_transfers_submitted_total', link)).toBe(9);
    expect(sample(failedMetrics, 'tarn_transfers_failed_total', { ...link, reason: 'connection' })).toBe(9);
    expect(sample(failedMetrics, 'tarn_transfers_done_total', link)).toBeUndefined();
    expect(failedMetrics).not.toContain('down.0');

    // The destination is back (its protocol now reaches the server): the repairer queues the copies again.
    await t.db.dataSource.query(`UPDATE rse_protocols SET port = $2 WHERE rse_id = $1`, [down.id, area.protocol.port]);
    await t.repairer.runOnce();
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, replicating: 3 });
    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK);
    const storage = createStorage(area.protocol);
    storages.push(storage);
    for (const f of files) expect((await readAll(storage, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
    const doneMetrics = await t.metrics.metrics();
    expect(sample(doneMetrics, 'tarn_transfers_done_total', link)).toBe(3);
    // Every attempt submitted is one row of requests_history: the 9 that failed, 3 that copied, and any the engine
    // retried once the destination was back (a copy that failed while it came up is retried, as it should be).
    const attempts = await t.db.dataSource.query(
      `SELECT count(*)::int AS n FROM requests_history WHERE rule_id = $1`,
      [ruleId],
    );
    expect(attempts[0].n).toBeGreaterThanOrEqual(12);
    expect(sample(doneMetrics, 'tarn_transfers_submitted_total', link)).toBe(attempts[0].n);
    expect(sample(doneMetrics, 'tarn_transfer_bytes_total', link)).toBe(6000);
    expect(sample(doneMetrics, 'tarn_transfer_size_bytes_count', link)).toBe(3);
    expect(sample(doneMetrics, 'tarn_transfer_duration_seconds_count', link)).toBe(3);
  });

  it('throttles per destination RSE and takes accounts in turn', async () => {
    const area = await createTestDirectory();
    areas.push(area);
    const target = await createRse(t.db.dataSource, { rse: uniqueRseName('THR'), protocols: [protocolOf(area.protocol)] });
    await setConfig(t.db.dataSource, 'throttler', target.rse, 3);
    const alice = await createAccount(t.db.dataSource, { account: 'alice' });
    await createScope(t.db.dataSource, { scope: 'user.alice', account: alice.account });
    const mine = await seedDataset(t, 'thr.jdoe', await makeContents(t.scope, 'thrj', [10, 11, 12, 13, 14]), [posix]);
    const hers = await seedDataset({ ...t, scope: 'user.alice', user: alice }, 'thr.alice', await makeContents('user.alice', 'thra', [20, 21]), [posix]);
    const [first] = await t.rules.addRules(t.user.issuer, ruleSpec(mine, target.rse));
    const [second] = await t.rules.addRules(alice.issuer, ruleSpec(hers, target.rse));
    const active = async () =>
      t.db.dataSource.query(`SELECT account, count(*)::int AS n FROM requests WHERE dest_rse_id = $1 AND state = 'S' GROUP BY account ORDER BY account`, [target.id]);
    await t.submitter.runOnce();
    // 3 at once into that RSE; alice's 2 files are not stuck behind jdoe's 5 older ones.
    expect(await active()).toEqual([{ account: 'alice', n: 1 }, { account: 'jdoe', n: 2 }]);
    await t.submitter.runOnce();
    expect((await active()).reduce((sum: number, r: { n: number }) => sum + r.n, 0)).toBe(3);
    await drive(t, async () => (await ruleState(t.db.dataSource, first)).state === RuleState.OK && (await ruleState(t.db.dataSource, second)).state === RuleState.OK);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('a slow destination does not hold a fast one\'s copies behind it: the worker\'s lanes share out between destinations', async () => {
    // The 96 WebDAV transfers are submitted first, the 96 posix ones after them (8 lanes, 16 a lease). Leased in
    // submission order alone, no posix copy would begin before the last WebDAV one was leased; they begin at once.
    const slow = await seedDataset(t, 'lanes.dav', await makeContents(t.scope, 'lanesd', Array.from({ length: 96 }, (_, i) => 16_384 + i)), [posix]);
    const fast = await seedDataset(t, 'lanes.posix', await makeContents(t.scope, 'lanesp', Array.from({ length: 96 }, (_, i) => 16_384 + i)), [posix]);
    const [slowRule] = await t.rules.addRules(t.user.issuer, ruleSpec(slow, dav.rse.rse));
    await t.submitter.runOnce();
    const [fastRule] = await t.rules.addRules(t.user.issuer, ruleSpec(fast, posix2.rse.rse));
    await t.submitter.runOnce();
    await t.worker.runOnce();
    const reported = await t.db.dataSource.query(
      `SELECT rule_id, transferred_at FROM requests WHERE rule_id IN ($1, $2) AND state = 'D' ORDER BY transferred_at`,
      [slowRule, fastRule],
    );
    expect(reported).toHaveLength(192);
    const firstFast = reported.findIndex((r: { rule_id: string }) => r.rule_id === fastRule);
    expect(firstFast).toBeLessThan(48);
    await drive(t, async () => (await ruleState(t.db.dataSource, slowRule)).state === RuleState.OK && (await ruleState(t.db.dataSource, fastRule)).state === RuleState.OK);
  });

  describe('a copy waiting for its only source, an upload in progress', () => {
    beforeAll(async () => {
      // One attempt: a copy that finds no source is STUCK at once; the repairer would wait an hour.
      await setConfig(t.db.dataSource, 'transfers', 'max_attempts', 1);
      await setConfig(t.db.dataSource, 'repairer', 'backoff_base_seconds', 3600);
    });
    afterAll(async () => {
      await t.db.dataSource.query(`DELETE FROM configs WHERE (section, opt) IN (('transfers', 'max_attempts'), ('repairer', 'backoff_base_seconds'))`);
    });

    /** Files being uploaded to posix (their replicas there announced, COPYING), with a rule for a copy on posix2. */
    async function announced(name: string) {
      const files = await makeContents(t.scope, name, [100, 200]);
      const ds = await seedDataset(t, name, files, []);
      await createReplicas(t.db.dataSource, { rseId: posix.rse.id, files, state: ReplicaState.COPYING });
      const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, posix2.rse.rse));
      return { files, ruleId };
    }

    /** The upload is over: the files are on posix and their replicas AVAILABLE, as the uploader's registration makes them. */
    async function uploaded(files: TestFile[]) {
      for (const f of files) await posix.storage.write(deterministicPath(f.scope, f.name), Readable.from([f.content]));
      await unitOfWork(t.db.dataSource, { what: 'upload' }, (manager) =>
        markReplicasAvailable(manager, files.map((f) => ({ scope: f.scope, name: f.name, rseId: posix.rse.id }))),
      );
    }

    async function copiedToPosix2(files: TestFile[], ruleId: string) {
      await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK);
      for (const f of files) expect((await readAll(posix2.storage, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
    }

    it('a lock STUCK for want of a source is retried the moment the upload makes one AVAILABLE, not after the repairer\'s back-off', async () => {
      const { files, ruleId } = await announced('unsourced');
      await t.submitter.runOnce();
      await t.finisher.runOnce();
      expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.STUCK, stuck: 2, replicating: 0 });
      const stuck = await t.db.dataSource.query(`SELECT state, reason_code FROM locks WHERE rule_id = $1`, [ruleId]);
      expect(stuck).toEqual([{ state: LockState.STUCK, reason_code: 'NO_SOURCE' }, { state: LockState.STUCK, reason_code: 'NO_SOURCE' }]);

      await uploaded(files);
      expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, stuck: 0, replicating: 2 });
      const queued = await t.db.dataSource.query(`SELECT state, retry_after FROM requests WHERE rule_id = $1`, [ruleId]);
      expect(queued).toEqual([{ state: 'Q', retry_after: null }, { state: 'Q', retry_after: null }]);
      await copiedToPosix2(files, ruleId);
      expect(await inconsistencies(t.db.dataSource)).toEqual([]);
    });

    it('a last attempt that found no source goes again when the upload made one AVAILABLE before the finisher saw it', async () => {
      const { files, ruleId } = await announced('late');
      await t.submitter.runOnce();
      expect(await t.db.dataSource.query(`SELECT DISTINCT state FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([{ state: '0' }]);
      await uploaded(files);
      await t.finisher.runOnce();
      expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.REPLICATING, stuck: 0, replicating: 2 });
      await copiedToPosix2(files, ruleId);
    });

    it('a lock STUCK for another reason waits for the repairer', async () => {
      const { files, ruleId } = await announced('other');
      await t.submitter.runOnce();
      await t.finisher.runOnce();
      await t.db.dataSource.query(`UPDATE locks SET reason_code = 'TRANSFER_FAILED' WHERE rule_id = $1`, [ruleId]);
      await uploaded(files);
      expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.STUCK, stuck: 2 });
    });
  });
});
