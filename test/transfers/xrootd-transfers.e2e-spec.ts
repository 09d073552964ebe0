/**
 * Rules on XRootD RSEs, end to end with the two XRootD servers of scripts/services/xrootd.sh and the WebDAV
 * server: a copy between two XRootD servers is third-party (the destination server pulls; the worker reads no
 * bytes; the request's record says so); a copy to WebDAV streams; one between two WebDAV doors that take HTTP-TPC
 * is third-party; a worker killed mid-copy is taken over; a source whose root:// door is down is read, and a
 * destination whose root:// door is down written, through its other protocol, and the record says so.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deterministicPath, RuleState } from '@tarn/domain';
import { createStorage, TEMPORARY_PREFIX, type StorageProtocol, type XrootdStorage } from '@tarn/storage';
import { createTestCollection, createTestXrootdArea, readXrootdLog } from '@tarn/testing/storage.js';
import { createRse, uniqueRseName, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import type { RseProtocolInput } from '@tarn/core/rses/rse.types.js';
import { inconsistencies, sleep } from '../daemons/support/rule-daemons-fixtures.js';
import { drive, makeContents, protocolOf, readAll, ruleState, seedDataset, setConfig, transfersContext, type TransfersContext } from './support/transfer-fixtures.js';
import { bytesRead, closedPort } from '@tarn/testing/host.js';

jest.setTimeout(120_000);

type XrdArea = Awaited<ReturnType<typeof createTestXrootdArea>>;
const MIB = 1024 * 1024;

const xrootd = (area: XrdArea, priority = 1): RseProtocolInput => ({
  ...protocolOf(area.protocol, 'rucio.rse.protocols.xrootd.Default'),
  domains: { wan: { read: priority, write: priority, delete: priority, third_party_copy_read: priority, third_party_copy_write: priority } },
});

/** The attempts of a rule's transfers into `rseId` that succeeded, with how they copied. */
async function doneCopies(t: TransfersContext, ruleId: string, rseId: string): Promise<Array<{ name: string; copy_method: string; copy_method_reason: string }>> {
  return t.db.dataSource.query(
    `SELECT name, copy_method, copy_method_reason FROM requests_history WHERE rule_id = $1 AND dest_rse_id = $2 AND state = 'D' ORDER BY name`,
    [ruleId, rseId],
  );
}

describe('transfers with XRootD RSEs', () => {
  let t: TransfersContext;
  let a: XrdArea;
  let b: XrdArea;
  let source: CreatedRse;
  let target: CreatedRse;
  let sourceStorage: StorageProtocol;
  let targetStorage: XrootdStorage;
  const cleanups: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await transfersContext();
    // An attempt that fails on a busy machine is retried in the next round, not after the default 30 s back-off.
    await setConfig(t.db.dataSource, 'transfers', 'backoff_base_seconds', 0);
    [a, b] = await Promise.all([createTestXrootdArea('a'), createTestXrootdArea('b')]);
    cleanups.push(a.drop, b.drop);
    source = await createRse(t.db.dataSource, { rse: uniqueRseName('XRD_SRC'), protocols: [xrootd(a)] });
    target = await createRse(t.db.dataSource, { rse: uniqueRseName('XRD_DST'), protocols: [xrootd(b)] });
    sourceStorage = createStorage(a.protocol, { rse: source.rse });
    targetStorage = createStorage(b.protocol, { rse: target.rse }) as XrootdStorage;
    cleanups.push(() => sourceStorage.close(), () => targetStorage.close());
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup();
    await t?.close();
  });

  it('a 2-copy rule from XRootD to a second XRootD server (third-party) and to WebDAV (streamed) reaches OK, byte-identical', async () => {
    const dav = await createTestCollection();
    cleanups.push(dav.drop);
    const davRse = await createRse(t.db.dataSource, { rse: uniqueRseName('DAV_DST'), protocols: [protocolOf(dav.protocol, 'rucio.rse.protocols.webdav.Default')] });
    const davStorage = createStorage(dav.protocol);
    cleanups.push(() => davStorage.close());
    const files = await makeContents(t.scope, 'two', [3 * MIB + 17, 1000, 0]);
    const ds = await seedDataset(t, 'two-copies', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, `${target.rse}|${davRse.rse}`, { copies: 2 }));

    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 10);

    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: 2 * files.length, stuck: 0 });
    for (const f of files) {
      const path = deterministicPath(f.scope, f.name);
      expect((await readFile(join(b.server.files, b.directory, path))).equals(f.content)).toBe(true);
      expect((await readAll(davStorage, path)).equals(f.content)).toBe(true);
    }
    const xrd = await doneCopies(t, ruleId, target.id);
    expect(xrd).toHaveLength(files.length);
    for (const copy of xrd) {
      expect(copy.copy_method).toBe('third-party');
      expect(copy.copy_method_reason).toBe(`XRootD third-party copy: ${b.server.url} pulled the file from ${a.server.url}`);
    }
    const streamed = await doneCopies(t, ruleId, davRse.id);
    expect(streamed.map((c) => c.copy_method)).toEqual(files.map(() => 'streamed'));
    expect(streamed[0].copy_method_reason).toMatch(/^streamed through this host \(root:\/\/ -> dav:\/\/\); no third-party copy: .*is not an HTTP\/WebDAV endpoint/);
    // What `tarn rule show` lists: each lock with how its file was copied.
    const locks = [];
    for await (const lock of await t.rules.listRuleLocks(t.user.issuer, ruleId)) locks.push(lock);
    expect(locks.filter((l) => l.rseId === target.id).map((l) => l.copyMethod)).toEqual(files.map(() => 'third-party'));
    expect(locks.filter((l) => l.rseId === davRse.id).map((l) => l.copyMethod)).toEqual(files.map(() => 'streamed'));
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('root:// -> root:// with third-party copy off is streamed by the XRootD client in the worker, and says so', async () => {
    const b2 = await createTestXrootdArea('b');
    cleanups.push(b2.drop);
    const noTpc = await createRse(t.db.dataSource, { rse: uniqueRseName('XRD_NOTPC'), protocols: [xrootd(b2, 1)].map((p) => ({ ...p, domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 0, third_party_copy_write: 0 } } })) });
    const files = await makeContents(t.scope, 'notpc', [MIB + 3]);
    const ds = await seedDataset(t, 'notpc', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, noTpc.rse, { sourceReplicaExpression: source.rse }));
    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 3);
    const [copy] = await doneCopies(t, ruleId, noTpc.id);
    expect(copy.copy_method).toBe('streamed');
    expect(copy.copy_method_reason).toMatch(/^streamed through this host \(root:\/\/ -> root:\/\/, by the XRootD client\); no third-party copy: no write protocol of XRD_NOTPC_\w+ takes third-party copies/);
    expect((await readFile(join(b2.server.files, b2.directory, deterministicPath(t.scope, files[0].name)))).equals(files[0].content)).toBe(true);
  });

  it('the third-party copy passes no byte through the worker: its process and its XRootD session read a few KiB for 32 MiB', async () => {
    const files = await makeContents(t.scope, 'big', [32 * MIB]);
    const ds = await seedDataset(t, 'big', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, target.rse));
    await t.submitter.runOnce();
    await targetStorage.exists('warm-up'); // the session runs: its counters can be read before and after
    const session = targetStorage.sessionInfo.pid!;
    const before = [await bytesRead('self'), await bytesRead(session)];
    await t.worker.runOnce();
    const after = [await bytesRead('self'), await bytesRead(session)];
    expect(targetStorage.sessionInfo.pid).toBe(session);
    await t.finisher.runOnce();
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK });
    expect(after[0] - before[0]).toBeLessThan(MIB);
    expect(after[1] - before[1]).toBeLessThan(MIB);
    // The source server's log: the file was opened by the destination server's own user, never by this client's.
    const opens = (await readXrootdLog(a.server)).split('\n').filter((l) => l.includes(`fn=/${a.directory}/${deterministicPath(t.scope, files[0].name)}`) && l.includes('ofs_open'));
    expect(opens.some((l) => / tarn-xro\.\d+:\d+@/.test(l))).toBe(true);
    const path = deterministicPath(t.scope, files[0].name);
    expect((await readFile(join(b.server.files, b.directory, path))).equals(files[0].content)).toBe(true);
  });

  it('a worker killed mid third-party copy: its transfers are taken over after the lease and end third-party, nothing half-written shows', async () => {
    await setConfig(t.db.dataSource, 'transfers', 'lease_seconds', 3);
    const files = await makeContents(t.scope, 'killed', [2 * MIB, 2 * MIB, 2 * MIB, 2 * MIB]);
    const ds = await seedDataset(t, 'killed', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, target.rse));
    await t.submitter.runOnce();
    const start = (): DaemonProcess => {
      const started = startDaemonProcess('transfer-worker', t.db.url, {
        TARN_TRANSFER_WORKER_INTERVAL_SECONDS: '0.2',
        TARN_TRANSFER_WORKER_CONCURRENCY: '2',
        TARN_TRANSFER_WORKER_BATCH: '4',
      });
      children.push(started.child);
      return started;
    };
    const partial = async () => (await readdir(join(b.server.files, b.directory), { recursive: true }).catch(() => [] as string[])).filter((p) => p.split('/').pop()!.startsWith(TEMPORARY_PREFIX));
    const first = start();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await partial()).length === 0) await sleep(20);
    expect((await partial()).length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;
    const doneEarly = (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1 AND state = 'D'`, [ruleId]))[0].n;
    expect(doneEarly).toBeLessThan(files.length);

    await sleep(3_500);
    const second = start();
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1 AND state = 'D'`, [ruleId]);
      if (n === files.length) break;
      await sleep(100);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await t.finisher.runOnce();
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: files.length });
    for (const f of files) expect((await readFile(join(b.server.files, b.directory, deterministicPath(f.scope, f.name)))).equals(f.content)).toBe(true);
    expect((await doneCopies(t, ruleId, target.id)).map((c) => c.copy_method)).toEqual(files.map(() => 'third-party'));
    const listed: string[] = [];
    for await (const entry of targetStorage.list(`${t.scope.replace(/\./g, '/')}`)) listed.push(entry.path);
    expect(listed.filter((p) => p.includes('/killed.')).sort()).toEqual(files.map((f) => deterministicPath(f.scope, f.name)).sort());
    await setConfig(t.db.dataSource, 'transfers', 'lease_seconds', 120);
  });

  it('a rule between two WebDAV RSEs whose doors take HTTP-TPC is copied third-party: the destination pulls, the worker reads no bytes', async () => {
    const [davA, davB] = await Promise.all([createTestXrootdArea('a'), createTestXrootdArea('b')]);
    cleanups.push(davA.drop, davB.drop);
    const from = await createRse(t.db.dataSource, { rse: uniqueRseName('DAV_TPC_SRC'), protocols: [protocolOf(davA.httpProtocol, 'rucio.rse.protocols.webdav.Default')] });
    const to = await createRse(t.db.dataSource, { rse: uniqueRseName('DAV_TPC_DST'), protocols: [protocolOf(davB.httpProtocol, 'rucio.rse.protocols.webdav.Default')] });
    const fromStorage = createStorage(davA.httpProtocol, { rse: from.rse });
    cleanups.push(() => fromStorage.close());
    const files = await makeContents(t.scope, 'httptpc', [8 * MIB + 5, 1]);
    const ds = await seedDataset(t, 'httptpc', files, [{ rse: from, storage: fromStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, to.rse));
    await t.submitter.runOnce();
    const before = await bytesRead('self');
    await t.worker.runOnce();
    expect((await bytesRead('self')) - before).toBeLessThan(MIB);
    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 3);

    for (const f of files) expect((await readFile(join(davB.server.files, davB.directory, deterministicPath(f.scope, f.name)))).equals(f.content)).toBe(true);
    const copies = await doneCopies(t, ruleId, to.id);
    expect(copies.map((c) => c.copy_method)).toEqual(files.map(() => 'third-party'));
    for (const c of copies) expect(c.copy_method_reason).toMatch(new RegExp(`^HTTP-TPC: ${davB.server.httpUrl.replace(/\/$/, '')} pulled`));
  });

  it("a destination whose root:// door is down is written through its WebDAV door, within the attempt, and the record says so", async () => {
    const down = await closedPort();
    const area = await createTestXrootdArea('b');
    cleanups.push(area.drop);
    const twoDoors = await createRse(t.db.dataSource, {
      rse: uniqueRseName('XRD_DST_DOORS'),
      protocols: [
        { ...xrootd(area, 1), port: down },
        { ...protocolOf(area.httpProtocol, 'rucio.rse.protocols.webdav.Default'), domains: { wan: { read: 2, write: 2, delete: 2, third_party_copy_read: 0, third_party_copy_write: 0 } } },
      ],
    });
    const files = await makeContents(t.scope, 'dstdoors', [MIB + 7]);
    const ds = await seedDataset(t, 'dstdoors', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, twoDoors.rse, { sourceReplicaExpression: source.rse }));

    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 3);

    const [copy] = await doneCopies(t, ruleId, twoDoors.id);
    expect(copy.copy_method).toBe('streamed');
    expect(copy.copy_method_reason).toMatch(/^streamed through this host \(root:\/\/ -> dav:\/\/\)/);
    expect(copy.copy_method_reason).toContain(`fell back after: destination root://127.0.0.1:${down}//${area.directory}/ failed`);
    expect((await readFile(join(area.server.files, area.directory, deterministicPath(t.scope, files[0].name)))).equals(files[0].content)).toBe(true);
    expect(await t.db.dataSource.query(`SELECT state FROM requests_history WHERE rule_id = $1`, [ruleId])).toEqual([{ state: 'D' }]);
  });

  it("a name that needs escaping reaches an RSE whose WebDAV door cannot move it into place, through its root:// door (and '&' is not handed to XRootD third-party copy)", async () => {
    const area = await createTestXrootdArea('b');
    cleanups.push(area.drop);
    const doors = await createRse(t.db.dataSource, {
      rse: uniqueRseName('XRD_DAV_FIRST'),
      protocols: [protocolOf(area.httpProtocol, 'rucio.rse.protocols.webdav.Default'), { ...xrootd(area, 2) }],
    });
    const files = await makeContents(t.scope, 'night 4711 & flats ü', [MIB + 3, 10]);
    const ds = await seedDataset(t, 'escaped', files, [{ rse: source, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, doors.rse, { sourceReplicaExpression: source.rse }));

    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 3);

    for (const f of files) expect((await readFile(join(area.server.files, area.directory, deterministicPath(f.scope, f.name)))).equals(f.content)).toBe(true);
    const copies = await doneCopies(t, ruleId, doors.id);
    expect(copies.map((c) => c.copy_method)).toEqual(['streamed', 'streamed']);
    for (const c of copies) {
      expect(c.copy_method_reason).toMatch(/^streamed through this host \(root:\/\/ -> root:\/\/, by the XRootD client\)/);
      expect(c.copy_method_reason).toContain("XRootD third-party copy cannot name a source path with '&'");
    }
    expect(copies.some((c) => /fell back after: destination http:\/\/.*does not decode the Destination of a MOVE/.test(c.copy_method_reason))).toBe(true);
    // Nothing was left under another name.
    const stray = (await readdir(join(area.server.files, area.directory), { recursive: true })).filter((p) => p.includes('%') || p.split('/').pop()!.startsWith(TEMPORARY_PREFIX));
    expect(stray).toEqual([]);
  });

  it("a source whose root:// door is down is read through its WebDAV door, and the transfer's record says so", async () => {
    const down = await closedPort();
    const http = new URL(a.server.httpUrl);
    const twoDoors = await createRse(t.db.dataSource, {
      rse: uniqueRseName('XRD_DOORS'),
      protocols: [
        { ...xrootd(a, 1), port: down },
        {
          ...protocolOf({ scheme: 'dav', hostname: http.hostname, port: Number(http.port), prefix: a.protocol.prefix }, 'rucio.rse.protocols.webdav.Default'),
          domains: { wan: { read: 2, write: 2, delete: 2, third_party_copy_read: 2, third_party_copy_write: 2 } },
        },
      ],
    });
    const files = await makeContents(t.scope, 'doors', [MIB + 1]);
    const ds = await seedDataset(t, 'doors', files, [{ rse: twoDoors, storage: sourceStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, target.rse));

    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK, 3);

    const [copy] = await doneCopies(t, ruleId, target.id);
    expect(copy.copy_method).toBe('streamed');
    expect(copy.copy_method_reason).toMatch(/^streamed through this host \(dav:\/\/ -> root:\/\/\)/);
    expect(copy.copy_method_reason).toContain(`fell back after: source root://127.0.0.1:${down}//${a.directory}/ failed`);
    expect(copy.copy_method_reason).toMatch(/unavailable/);
    const path = deterministicPath(t.scope, files[0].name);
    expect((await readFile(join(b.server.files, b.directory, path))).equals(files[0].content)).toBe(true);
    // Only this attempt: the fallback happened within it, not after a failed attempt.
    expect(await t.db.dataSource.query(`SELECT state FROM requests_history WHERE rule_id = $1`, [ruleId])).toEqual([{ state: 'D' }]);

    // The copies that follow go straight through the door that answers: the one that did not is offered last for a minute.
    const more = await makeContents(t.scope, 'doors-next', [MIB + 2]);
    const next = await seedDataset(t, 'doors-next', more, [{ rse: twoDoors, storage: sourceStorage }]);
    const [nextRule] = await t.rules.addRules(t.user.issuer, ruleSpec(next, target.rse));
    await drive(t, async () => (await ruleState(t.db.dataSource, nextRule)).state === RuleState.OK, 3);
    const [straight] = await doneCopies(t, nextRule, target.id);
    expect(straight.copy_method_reason).toMatch(/^streamed through this host \(dav:\/\/ -> root:\/\/\)/);
    expect(straight.copy_method_reason).not.toContain('fell back');
    expect(straight.copy_method_reason).not.toContain(`:${down}/`); // not even asked for a third-party copy
  });
});
